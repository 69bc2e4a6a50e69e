package dev.vera4j.engine.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps(x, ensure_ascii, indent, separators, sort_keys)}, which Hugging Face installs as the
 * {@code tojson} filter: default separators {@code ", "} and {@code ": "} (item separator {@code ","} when indenting).
 */
final class PyJson {
    private final boolean ensureAscii;
    private final String indent;
    private final String itemSep;
    private final String keySep;
    private final boolean sortKeys;
    private final int line;
    private final StringBuilder sb = new StringBuilder();

    private PyJson(boolean ensureAscii, String indent, String itemSep, String keySep, boolean sortKeys, int line) {
        this.ensureAscii = ensureAscii;
        this.indent = indent;
        this.itemSep = itemSep;
        this.keySep = keySep;
        this.sortKeys = sortKeys;
        this.line = line;
    }

    /** The {@code tojson} filter with HF's keyword arguments. */
    static String tojson(Object value, CallArgs a) {
        Object ind = a.get("indent", null);
        String indent = switch (ind) {
            case null -> null;
            case String s -> s;
            case Markup m -> m.value();
            default -> {
                if (!PyOps.isInt(ind)) throw new TemplateException(a.line(), "tojson indent must be an int or a string");
                yield " ".repeat(CallArgs.checkSize(((Number) ind).longValue(), "tojson indent", a.line()));
            }
        };
        String itemSep = indent == null ? ", " : ",", keySep = ": ";
        Object seps = a.get("separators", null);
        if (seps != null) {
            if (!(seps instanceof List<?> l) || l.size() != 2 || !PyOps.isString(l.get(0)) || !PyOps.isString(l.get(1))) {
                throw new TemplateException(a.line(), "tojson separators must be a pair of strings");
            }
            itemSep = PyOps.str(l.get(0));
            keySep = PyOps.str(l.get(1));
        }
        PyJson w = new PyJson(a.bool("ensure_ascii", false), indent, itemSep, keySep, a.bool("sort_keys", false), a.line());
        w.value(value, 0);
        return w.sb.toString();
    }

    private void value(Object v, int level) {
        switch (v) {
            case null -> sb.append("null");
            case Boolean b -> sb.append(b ? "true" : "false");
            case String s -> string(s);
            case Markup m -> string(m.value());
            case Double d -> sb.append(floatText(d));
            case Float f -> sb.append(floatText(f.doubleValue()));
            case Number n -> sb.append(n.longValue());
            case PyView view -> throw new TemplateException(line, "Object of type " + view.kind() + " is not JSON serializable");
            case List<?> l -> array(l, level);
            case Map<?, ?> m -> object(m, level);
            default -> throw new TemplateException(line, "Object of type " + PyOps.typeName(v) + " is not JSON serializable");
        }
    }

    private static String floatText(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        return PyOps.floatRepr(d);
    }

    private void newline(int level) {
        if (indent == null) return;
        sb.append('\n');
        for (int i = 0; i < level; i++) sb.append(indent);
    }

    private void array(List<?> l, int level) {
        if (l.isEmpty()) { sb.append("[]"); return; }
        sb.append('[');
        newline(level + 1);
        for (int i = 0; i < l.size(); i++) {
            if (i > 0) { sb.append(itemSep); newline(level + 1); }
            value(l.get(i), level + 1);
        }
        newline(level);
        sb.append(']');
    }

    private void object(Map<?, ?> m, int level) {
        if (m.isEmpty()) { sb.append("{}"); return; }
        List<Map.Entry<String, Object>> entries = new ArrayList<>();
        for (var e : m.entrySet()) entries.add(Map.entry(key(e.getKey()), e.getValue() == null ? NULL : e.getValue()));
        if (sortKeys) entries.sort((x, y) -> PyOps.compareCodePoints(x.getKey(), y.getKey()));
        sb.append('{');
        newline(level + 1);
        boolean first = true;
        for (var e : entries) {
            if (!first) { sb.append(itemSep); newline(level + 1); }
            first = false;
            string(e.getKey());
            sb.append(keySep);
            value(e.getValue() == NULL ? null : e.getValue(), level + 1);
        }
        newline(level);
        sb.append('}');
    }

    private static final Object NULL = new Object();

    private String key(Object k) {
        return switch (k) {
            case String s -> s;
            case Markup m -> m.value();
            case null -> "null";
            case Boolean b -> b ? "true" : "false";
            case Double d -> floatText(d);
            case Number n -> Long.toString(n.longValue());
            default -> throw new TemplateException(line, "keys must be str, int, float, bool or None, not " + PyOps.typeName(k));
        };
    }

    private void string(String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
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
                    if (c < 0x20 || (ensureAscii && c > 0x7E)) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
