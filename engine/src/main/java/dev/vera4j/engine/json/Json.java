package dev.vera4j.engine.json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Zero-dependency JSON (RFC 8259) reading and writing with plain Java values.
 *
 * <p>Parsing maps objects to {@link LinkedHashMap LinkedHashMap&lt;String,Object&gt;} (key order kept, a repeated key
 * keeps its last value), arrays to {@link ArrayList}, numbers without fraction or exponent that fit a {@code long} to
 * {@link Long} and all other numbers to {@link Double}, strings to {@link String}, {@code true/false} to
 * {@link Boolean} and {@code null} to {@code null}. Writing accepts those types plus any {@link Map}, {@link Iterable},
 * array, {@link Number}, {@link Character} and {@link CharSequence}.
 *
 * <pre>{@code
 * Object v = Json.parse("{\"a\": [1, 2.5, \"x\"]}");   // {a=[1, 2.5, x]}
 * String s = Json.write(v);                            // {"a":[1,2.5,"x"]}
 * String p = Json.writePretty(v);                      // 2-space indented, "key": value
 * }</pre>
 */
public final class Json {
    /** Deepest nesting of arrays/objects accepted by {@link #parse}, so hostile input cannot overflow the stack. */
    public static final int MAX_DEPTH = 512;

    private Json() {}

    /**
     * Parses one JSON value (surrounding whitespace allowed, nothing else).
     *
     * @throws JsonException naming line and column on malformed input
     */
    public static Object parse(String text) {
        return new JsonParser(text, MAX_DEPTH).parseDocument();
    }

    /** Compact JSON, no spaces: {@code {"a":[1,2]}}. Non-ASCII characters are written as is. */
    public static String write(Object value) {
        return JsonWriter.write(value, -1);
    }

    /** Indented JSON (2 spaces, {@code "key": value}), empty containers as {@code []} and {@code {}}. */
    public static String writePretty(Object value) {
        return JsonWriter.write(value, 2);
    }

    /**
     * Formats a finite double the way JSON writers of Python do ({@code repr}): shortest round-trip digits,
     * {@code 1.0}, {@code 0.001}, {@code 1e-05}, {@code 1e+16}, {@code 1.5e+300}.
     *
     * @throws JsonException for NaN and infinities, which JSON cannot represent
     */
    public static String formatDouble(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) throw new JsonException("JSON cannot represent " + d);
        return PyFloat.repr(d);
    }

    static List<Object> newArray() { return new ArrayList<>(); }

    static Map<String, Object> newObject() { return new LinkedHashMap<>(); }
}
