package dev.vera4j.tools;

import dev.vera4j.engine.json.Json;

import java.util.List;
import java.util.Map;

/**
 * A tiny JSON serializer for CLI output: maps (keys in their order), lists, strings, booleans, null and numbers.
 * Non-finite floats become {@code null}; {@link Raw} carries number text written as is (e.g. an unsigned 64-bit value).
 *
 * <pre>{@code
 * JsonText.write(Map.of("n", 1, "names", List.of("a", "b")));   // {"n": 1, "names": ["a", "b"]} (pretty-printed)
 * }</pre>
 */
final class JsonText {
    /** Number text written verbatim. */
    record Raw(String text) {}

    private JsonText() {}

    /** Pretty-printed with two-space indentation. */
    static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, 0);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v, int depth) {
        switch (v) {
            case null -> sb.append("null");
            case String s -> string(sb, s);
            case Boolean b -> sb.append(b);
            case Raw r -> sb.append(r.text());
            case Float f -> sb.append(Float.isFinite(f) ? f.toString() : "null");
            case Double d -> sb.append(Double.isFinite(d) ? d.toString() : "null");
            case Number n -> sb.append(n);
            case Map<?, ?> m -> {
                if (m.isEmpty()) { sb.append("{}"); return; }
                sb.append('{');
                String sep = "\n";
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    sb.append(sep).append("  ".repeat(depth + 1));
                    string(sb, String.valueOf(e.getKey()));
                    sb.append(": ");
                    write(sb, e.getValue(), depth + 1);
                    sep = ",\n";
                }
                sb.append('\n').append("  ".repeat(depth)).append('}');
            }
            case List<?> l -> {
                // short lists of scalars stay on one line (tensor shapes)
                boolean flat = l.size() <= 8 && l.stream().noneMatch(x -> x instanceof Map || x instanceof List);
                sb.append('[');
                for (int i = 0; i < l.size(); i++) {
                    sb.append(i == 0 ? "" : ",");
                    if (flat) sb.append(i == 0 ? "" : " ");
                    else sb.append('\n').append("  ".repeat(depth + 1));
                    write(sb, l.get(i), depth + 1);
                }
                if (!flat && !l.isEmpty()) sb.append('\n').append("  ".repeat(depth));
                sb.append(']');
            }
            default -> throw new IllegalArgumentException("cannot write " + v.getClass().getSimpleName() + " as JSON");
        }
    }

    /** Strings are escaped by the engine's JSON writer, the one escaping rule of the project. */
    private static void string(StringBuilder sb, String s) {
        sb.append(Json.write(s));
    }
}
