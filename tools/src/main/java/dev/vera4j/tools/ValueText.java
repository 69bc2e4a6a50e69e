package dev.vera4j.tools;

import dev.vera4j.gguf.GgufArray;
import dev.vera4j.gguf.GgufValue;
import dev.vera4j.gguf.GgufValueType;

/**
 * Metadata values as one short line of text for {@code inspect}: long strings (chat templates) shortened, control
 * characters escaped, long arrays summarised as {@code [..] (512 strings)}.
 */
final class ValueText {
    static final int MAX_STRING = 80;
    static final int MAX_ARRAY = 8;

    private ValueText() {}

    static String summary(GgufValue v) {
        return switch (v.type()) {
            case STRING -> quoted((String) v.value(), true);
            case ARRAY -> array((GgufArray) v.value());
            default -> v.toString();
        };
    }

    private static String array(GgufArray a) {
        int n = a.length();
        if (n <= MAX_ARRAY) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < n; i++) {
                if (i > 0) sb.append(", ");
                sb.append(switch (a.elements()) {
                    case String[] s -> quoted(s[i], true);
                    case GgufArray[] nested -> array(nested[i]);
                    default -> a.elementText(i);
                });
            }
            String s = sb.append(']').toString();
            if (s.length() <= MAX_STRING) return s;
        }
        return "[..] (" + n + " " + elementNoun(a.elementType(), n) + ")";
    }

    private static String elementNoun(GgufValueType t, int n) {
        String one = switch (t) {
            case STRING -> "string";
            case ARRAY -> "array";
            case BOOL -> "bool";
            default -> t.name().toLowerCase() + " value";
        };
        return n == 1 ? one : one + "s";
    }

    /** {@code "text"} with quotes, backslashes and control characters escaped; over {@link #MAX_STRING} chars cut with a count. */
    static String quoted(String s, boolean shorten) {
        boolean cut = shorten && s.length() > MAX_STRING;
        String body = escape(cut ? s.substring(0, MAX_STRING - 20) : s);
        return cut ? '"' + body + "...\" (" + s.length() + " chars)" : '"' + body + '"';
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.toString();
    }
}
