package dev.vera4j.engine.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** jinja2's subscript and attribute lookup ({@code obj[key]}, {@code obj.name}) and Python slicing. */
final class PyAccess {
    private PyAccess() {}

    /** Python slicing {@code seq[start:stop:step]} for str and list. */
    static Object slice(Object seq, Object start, Object stop, Object step, int line) {
        long st = step == null ? 1 : toIndex(step, line);
        if (st == 0) throw new TemplateException(line, "slice step cannot be zero");
        boolean isStr = PyOps.isString(seq);
        List<?> items = isStr ? PyOps.chars(PyOps.str(seq)) : seq instanceof List<?> l && !(seq instanceof PyView) ? l : null;
        if (items == null) return Undefined.attribute(seq, "__getitem__");
        long n = items.size();
        long lo, hi;
        if (st > 0) {
            lo = start == null ? 0 : clamp(toIndex(start, line), n, 0, n);
            hi = stop == null ? n : clamp(toIndex(stop, line), n, 0, n);
        } else {
            lo = start == null ? n - 1 : clamp(toIndex(start, line), n, -1, n - 1);
            hi = stop == null ? -1 : clamp(toIndex(stop, line), n, -1, n - 1);
        }
        List<Object> out = new ArrayList<>();
        for (long i = lo; st > 0 ? i < hi : i > hi; i += st) out.add(items.get((int) i));
        if (isStr) {
            StringBuilder sb = new StringBuilder();
            for (Object o : out) sb.append((String) o);
            return sb.toString();
        }
        return seq instanceof PyTuple ? new PyTuple(out) : out;
    }

    private static long clamp(long i, long n, long min, long max) {
        if (i < 0) i += n;
        return Math.max(min, Math.min(max, i));
    }

    private static long toIndex(Object v, int line) {
        if (v == null) return 0;
        if (PyOps.isInt(v) || v instanceof Boolean) return PyOps.toLong(v);
        throw new TemplateException(line, "slice indices must be integers or None, not " + PyOps.typeName(v));
    }

    /** jinja2's {@code environment.getitem}: {@code obj[key]}, falling back to attribute lookup for string keys. */
    static Object getItem(Object obj, Object key, int line) {
        if (obj instanceof Undefined u) throw u.error(line);
        if (obj == null) return Undefined.attribute(null, PyOps.repr(key));
        switch (obj) {
            case Map<?, ?> m -> {
                Object k = PyOps.findKey(m, key);
                if (k != PyOps.NO_KEY) return m.get(k);
            }
            case List<?> l when (PyOps.isInt(key) || key instanceof Boolean) && !(obj instanceof PyView) -> {
                long i = PyOps.toLong(key);
                if (i < 0) i += l.size();
                if (i >= 0 && i < l.size()) return l.get((int) i);
                return new Undefined(PyOps.typeName(obj) + " index out of range");
            }
            case String s when PyOps.isInt(key) -> {
                int[] cps = PyStr.codePoints(s);
                long i = PyOps.toLong(key);
                if (i < 0) i += cps.length;
                if (i >= 0 && i < cps.length) return Character.toString(cps[(int) i]);
                return new Undefined("string index out of range");
            }
            case Markup mk when PyOps.isInt(key) -> {
                return getItem(mk.value(), key, line);
            }
            default -> { }
        }
        if (PyOps.isString(key)) return Methods.attribute(obj, PyOps.str(key), line);
        return Undefined.attribute(obj, PyOps.repr(key));
    }

    /** jinja2's {@code environment.getattr}: attribute (method) first, then {@code obj[name]}. */
    static Object getAttr(Object obj, String name, int line) {
        if (obj instanceof Undefined u) throw u.error(line);
        Object attr = Methods.attribute(obj, name, line);
        if (!(attr instanceof Undefined)) return attr;
        if (obj instanceof Map<?, ?> m) {
            Object k = PyOps.findKey(m, name);
            if (k != PyOps.NO_KEY) return m.get(k);
        }
        return attr;
    }
}
