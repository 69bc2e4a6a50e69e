package dev.vera4j.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Typed access to the fields of a JSON request object: absent and {@code null} fields give the default, a value of
 * the wrong type or range is a 400 naming the field, and fields nobody asks for are ignored, as OpenAI does.
 *
 * <pre>{@code
 * JsonFields f = new JsonFields(body);
 * double t = f.number("temperature", 1.0, 0, 2);
 * List<String> stop = f.stringOrStrings("stop", 4);
 * }</pre>
 */
final class JsonFields {
    private final Map<String, Object> fields;
    private final String prefix;

    JsonFields(Map<String, Object> fields) { this(fields, ""); }

    private JsonFields(Map<String, Object> fields, String prefix) {
        this.fields = fields;
        this.prefix = prefix;
    }

    boolean has(String name) { return fields.get(name) != null; }

    Object raw(String name) { return fields.get(name); }

    private String param(String name) { return prefix + name; }

    private ApiException wrongType(String name, String expected, Object value) {
        return ApiException.invalid(param(name), "invalid_type", "Invalid type for '" + param(name) + "': expected " + expected
                + ", but got " + typeName(value) + " instead.");
    }

    static String typeName(Object v) {
        return switch (v) {
            case null -> "null";
            case String s -> "a string";
            case Boolean b -> "a boolean";
            case Long l -> "an integer";
            case Double d -> "a decimal";
            case List<?> l -> "an array";
            case Map<?, ?> m -> "an object";
            default -> v.getClass().getSimpleName();
        };
    }

    private ApiException outOfRange(String name, String range, Object value) {
        return ApiException.invalid(param(name), "invalid_value", "Invalid value for '" + param(name) + "': expected " + range
                + ", but got " + value + ".");
    }

    String requiredString(String name) {
        Object v = fields.get(name);
        if (v == null) throw ApiException.invalid(param(name), "missing_required_parameter", "Missing required parameter: '" + param(name) + "'.");
        if (!(v instanceof String s)) throw wrongType(name, "a string", v);
        return s;
    }

    String string(String name, String fallback) {
        Object v = fields.get(name);
        if (v == null) return fallback;
        if (!(v instanceof String s)) throw wrongType(name, "a string", v);
        return s;
    }

    boolean bool(String name, boolean fallback) {
        Object v = fields.get(name);
        if (v == null) return fallback;
        if (!(v instanceof Boolean b)) throw wrongType(name, "a boolean", v);
        return b;
    }

    double number(String name, double fallback, double min, double max) {
        Object v = fields.get(name);
        if (v == null) return fallback;
        if (!(v instanceof Long || v instanceof Double)) throw wrongType(name, "a decimal", v);
        double d = ((Number) v).doubleValue();
        if (!(d >= min && d <= max)) throw outOfRange(name, "a number between " + plain(min) + " and " + plain(max), v);
        return d;
    }

    long integer(String name, long fallback, long min, long max) {
        Object v = fields.get(name);
        if (v == null) return fallback;
        if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 9e15) v = d.longValue();
        if (!(v instanceof Long l)) throw wrongType(name, "an integer", v);
        if (l < min || l > max) throw outOfRange(name, "an integer between " + min + " and " + max, v);
        return l;
    }

    /** A string or an array of at most {@code max} strings; empty when absent. */
    List<String> stringOrStrings(String name, int max) {
        Object v = fields.get(name);
        if (v == null) return List.of();
        if (v instanceof String s) return List.of(s);
        if (!(v instanceof List<?> list)) throw wrongType(name, "a string or an array of strings", v);
        if (list.size() > max) throw outOfRange(name, "at most " + max + " strings", list.size() + " strings");
        List<String> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof String s)) throw wrongType(name, "an array of strings", o);
            out.add(s);
        }
        return out;
    }

    List<?> array(String name) {
        Object v = fields.get(name);
        if (v == null) throw ApiException.invalid(param(name), "missing_required_parameter", "Missing required parameter: '" + param(name) + "'.");
        if (!(v instanceof List<?> l)) throw wrongType(name, "an array", v);
        return l;
    }

    /** The object at {@code name} (empty when absent), its errors named {@code name.field}. */
    JsonFields object(String name) {
        Object v = fields.get(name);
        if (v == null) return new JsonFields(Map.of(), param(name) + ".");
        if (!(v instanceof Map<?, ?> m)) throw wrongType(name, "an object", v);
        @SuppressWarnings("unchecked") Map<String, Object> map = (Map<String, Object>) m;
        return new JsonFields(map, param(name) + ".");
    }

    /** The {@code index}-th element of an array field, as an object. */
    JsonFields element(String name, int index, Object value) {
        if (!(value instanceof Map<?, ?> m)) throw wrongType(name + "[" + index + "]", "an object", value);
        @SuppressWarnings("unchecked") Map<String, Object> map = (Map<String, Object>) m;
        return new JsonFields(map, param(name) + "[" + index + "].");
    }

    private static String plain(double d) { return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d); }
}
