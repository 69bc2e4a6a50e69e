package dev.vera4j.engine.json;

import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.Map;

/** Serializes plain Java values; {@code indent < 0} means compact. */
final class JsonWriter {
    private final StringBuilder sb = new StringBuilder();
    private final int indent;
    private final IdentityHashMap<Object, Boolean> open = new IdentityHashMap<>();

    private JsonWriter(int indent) { this.indent = indent; }

    static String write(Object value, int indent) {
        JsonWriter w = new JsonWriter(indent);
        w.value(value, 0);
        return w.sb.toString();
    }

    private void value(Object v, int level) {
        switch (v) {
            case null -> sb.append("null");
            case Boolean b -> sb.append(b);
            case CharSequence cs -> string(cs);
            case Character c -> string(String.valueOf(c));
            case Double d -> sb.append(Json.formatDouble(d));
            case Float f -> sb.append(Json.formatDouble(f.doubleValue()));
            case Long l -> sb.append(l);
            case Integer i -> sb.append(i);
            case Short sh -> sb.append(sh);
            case Byte by -> sb.append(by);
            case BigInteger bi -> sb.append(bi);
            case BigDecimal bd -> sb.append(bd.toString());
            case Number n -> sb.append(Json.formatDouble(n.doubleValue()));
            case Map<?, ?> m -> container(m, level, true);
            case Iterable<?> it -> container(it, level, false);
            default -> {
                if (v.getClass().isArray()) container(v, level, false);
                else throw new JsonException("cannot write a " + v.getClass().getName() + " as JSON");
            }
        }
    }

    private void container(Object c, int level, boolean isMap) {
        if (open.put(c, Boolean.TRUE) != null) throw new JsonException("cannot write a self-containing value as JSON");
        sb.append(isMap ? '{' : '[');
        boolean first = true;
        if (isMap) {
            for (Map.Entry<?, ?> e : ((Map<?, ?>) c).entrySet()) {
                first = separator(first, level + 1);
                string(String.valueOf(e.getKey()));
                sb.append(indent < 0 ? ":" : ": ");
                value(e.getValue(), level + 1);
            }
        } else if (c instanceof Iterable<?> it) {
            for (Iterator<?> i = it.iterator(); i.hasNext(); ) {
                first = separator(first, level + 1);
                value(i.next(), level + 1);
            }
        } else {
            for (int i = 0, n = Array.getLength(c); i < n; i++) {
                first = separator(first, level + 1);
                value(Array.get(c, i), level + 1);
            }
        }
        if (!first) newline(level);
        sb.append(isMap ? '}' : ']');
        open.remove(c);
    }

    private boolean separator(boolean first, int level) {
        if (!first) sb.append(',');
        newline(level);
        return false;
    }

    private void newline(int level) {
        if (indent < 0) return;
        sb.append('\n');
        sb.repeat(' ', indent * level);
    }

    private void string(CharSequence s) {
        sb.append('"');
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    boolean loneSurrogate = Character.isSurrogate(c) && !(Character.isHighSurrogate(c) && i + 1 < n
                            && Character.isLowSurrogate(s.charAt(i + 1)));
                    if (Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1))) loneSurrogate = false;
                    // Control characters and unpaired surrogates are escaped so the output is valid JSON and valid UTF-8.
                    if (c < 0x20 || loneSurrogate) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
