package dev.vera4j.engine.template;

import dev.vera4j.engine.json.Json;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Python value semantics for template values: {@code null} is None, {@link Long} int, {@link Double} float,
 * {@link String}/{@link Markup} str, {@link List} list ({@link PyTuple} tuple), {@link Map} dict.
 */
final class PyOps {
    private PyOps() {}

    static boolean isString(Object v) { return v instanceof String || v instanceof Markup; }

    static boolean isInt(Object v) { return v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte; }

    static boolean isNumber(Object v) { return v instanceof Number || v instanceof Boolean; }

    /** Python's {@code str()} of a value, as {@code {{ value }}} prints it. */
    static String str(Object v) {
        return switch (v) {
            case null -> "None";
            case String s -> s;
            case Markup m -> m.value();
            case Boolean b -> b ? "True" : "False";
            case Undefined u -> "";
            case Double d -> floatRepr(d);
            case Float f -> floatRepr(f.doubleValue());
            case Number n -> n.toString();
            default -> repr(v);
        };
    }

    /** Python's {@code repr()}. */
    static String repr(Object v) {
        return switch (v) {
            case String s -> PyStr.repr(s);
            case Markup m -> "Markup(" + PyStr.repr(m.value()) + ")";
            case Undefined u -> "Undefined";
            case PyView view -> {
                StringBuilder sb = new StringBuilder(view.kind()).append("([");
                for (int i = 0; i < view.size(); i++) sb.append(i > 0 ? ", " : "").append(repr(view.get(i)));
                yield sb.append("])").toString();
            }
            case PyTuple t -> {
                StringBuilder sb = new StringBuilder("(");
                for (int i = 0; i < t.size(); i++) sb.append(i > 0 ? ", " : "").append(repr(t.get(i)));
                yield sb.append(t.size() == 1 ? ",)" : ")").toString();
            }
            case List<?> l -> {
                StringBuilder sb = new StringBuilder("[");
                for (int i = 0; i < l.size(); i++) sb.append(i > 0 ? ", " : "").append(repr(l.get(i)));
                yield sb.append(']').toString();
            }
            case Map<?, ?> m -> {
                StringBuilder sb = new StringBuilder("{");
                boolean first = true;
                for (var e : m.entrySet()) {
                    if (!first) sb.append(", ");
                    first = false;
                    sb.append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
                }
                yield sb.append('}').toString();
            }
            case null -> "None";
            case Boolean b -> str(b);
            case Number n -> str(n);
            default -> v.toString();
        };
    }

    static String floatRepr(double d) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        return Json.formatDouble(d);
    }

    /** Python type name, for error messages ({@code 'dict object' has no attribute ...}). */
    static String typeName(Object v) {
        return switch (v) {
            case null -> "NoneType";
            case String s -> "str";
            case Markup m -> "Markup";
            case Boolean b -> "bool";
            case Double d -> "float";
            case Float f -> "float";
            case Number n -> "int";
            case PyTuple t -> "tuple";
            case PyView view -> view.kind();
            case List<?> l -> "list";
            case Map<?, ?> m -> "dict";
            case Undefined u -> "Undefined";
            case Namespace n -> "Namespace";
            case PyGenerator g -> "generator";
            case LoopContext l -> "LoopContext";
            case PyCallable c -> "function";
            default -> v.getClass().getSimpleName();
        };
    }

    static String typeDescription(Object v) {
        return v == null ? "None" : "'" + typeName(v) + " object'";
    }

    static boolean truthy(Object v) {
        return switch (v) {
            case null -> false;
            case Boolean b -> b;
            case Undefined u -> false;
            case Double d -> d != 0.0;
            case Float f -> f != 0.0f;
            case Number n -> n.longValue() != 0;
            case String s -> !s.isEmpty();
            case Markup m -> !m.value().isEmpty();
            case Collection<?> c -> !c.isEmpty();
            case Map<?, ?> m -> !m.isEmpty();
            default -> true;
        };
    }

    static double toDouble(Object v) {
        return v instanceof Boolean b ? (b ? 1 : 0) : ((Number) v).doubleValue();
    }

    static long toLong(Object v) {
        return v instanceof Boolean b ? (b ? 1 : 0) : ((Number) v).longValue();
    }

    static boolean isFloat(Object v) { return v instanceof Double || v instanceof Float; }

    /** Python {@code ==}. */
    static boolean eq(Object a, Object b) {
        if (a == b) return true;
        if (a == null || b == null) return false;
        if (a instanceof Undefined || b instanceof Undefined) return a instanceof Undefined && b instanceof Undefined;
        if (isNumber(a) && isNumber(b)) {
            if (isFloat(a) || isFloat(b)) return toDouble(a) == toDouble(b);
            return toLong(a) == toLong(b);
        }
        if (isString(a) && isString(b)) return str(a).equals(str(b));
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            if ((a instanceof PyTuple) != (b instanceof PyTuple) || (a instanceof PyView) != (b instanceof PyView) || la.size() != lb.size()) return false;
            for (int i = 0; i < la.size(); i++) if (!eq(la.get(i), lb.get(i))) return false;
            return true;
        }
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            if (ma.size() != mb.size()) return false;
            for (var e : ma.entrySet()) {
                Object key = findKey(mb, e.getKey());
                if (key == NO_KEY || !eq(e.getValue(), mb.get(key))) return false;
            }
            return true;
        }
        return a.equals(b);
    }

    static final Object NO_KEY = new Object();

    /** The key of {@code m} equal (Python ==) to {@code key}, or {@link #NO_KEY}. */
    static Object findKey(Map<?, ?> m, Object key) {
        if (key instanceof Markup mk) key = mk.value();
        if (m.containsKey(key)) return key;
        if (key instanceof String || key == null) return NO_KEY;
        for (Object k : m.keySet()) if (eq(k, key)) return k;
        return NO_KEY;
    }

    /** Python ordering ({@code <} and friends): negative, zero or positive. */
    static int compare(Object a, Object b, String op, int line) {
        if (a instanceof Undefined u) throw u.error(line);
        if (b instanceof Undefined u) throw u.error(line);
        if (isNumber(a) && isNumber(b)) {
            if (isFloat(a) || isFloat(b)) return Double.compare(toDouble(a), toDouble(b));
            return Long.compare(toLong(a), toLong(b));
        }
        if (isString(a) && isString(b)) return compareCodePoints(str(a), str(b));
        if (a instanceof List<?> la && b instanceof List<?> lb && (a instanceof PyTuple) == (b instanceof PyTuple)) {
            for (int i = 0; i < Math.min(la.size(), lb.size()); i++) {
                if (!eq(la.get(i), lb.get(i))) return compare(la.get(i), lb.get(i), op, line);
            }
            return Integer.compare(la.size(), lb.size());
        }
        throw new TemplateException(line, "'" + op + "' not supported between instances of '" + typeName(a) + "' and '" + typeName(b) + "'");
    }

    static int compareCodePoints(String a, String b) {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i), cb = b.codePointAt(j);
            if (ca != cb) return Integer.compare(ca, cb);
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    /** Python {@code item in container}. */
    static boolean contains(Object container, Object item, int line) {
        switch (container) {
            case String s -> {
                if (!isString(item)) throw new TemplateException(line, "'in <string>' requires string as left operand, not " + typeName(item));
                return s.contains(str(item));
            }
            case Markup m -> {
                return contains(m.value(), item, line);
            }
            case Map<?, ?> m -> {
                return findKey(m, item) != NO_KEY;
            }
            case Undefined u -> {
                return false;
            }
            case null -> throw new TemplateException(line, "argument of type 'NoneType' is not iterable");
            default -> {
                Iterator<Object> it = iterate(container, line);
                while (it.hasNext()) if (eq(it.next(), item)) return true;
                return false;
            }
        }
    }

    /** Python {@code iter(value)}. */
    @SuppressWarnings("unchecked")
    static Iterator<Object> iterate(Object v, int line) {
        return switch (v) {
            case List<?> l -> (Iterator<Object>) l.iterator();
            case Map<?, ?> m -> new ArrayList<Object>(m.keySet()).iterator();
            case String s -> chars(s).iterator();
            case Markup m -> chars(m.value()).iterator();
            case Undefined u -> List.of().iterator();
            case PyGenerator g -> g.iterator();
            case null -> throw new TemplateException(line, "'NoneType' object is not iterable");
            default -> throw new TemplateException(line, "'" + typeName(v) + "' object is not iterable");
        };
    }

    static boolean isIterable(Object v) {
        return v instanceof List || v instanceof Map || isString(v) || v instanceof Undefined || v instanceof PyGenerator;
    }

    static List<Object> toList(Object v, int line) {
        List<Object> out = new ArrayList<>();
        iterate(v, line).forEachRemaining(out::add);
        return out;
    }

    static List<Object> chars(String s) {
        List<Object> out = new ArrayList<>(s.length());
        s.codePoints().forEach(cp -> out.add(Character.toString(cp)));
        return out;
    }

    /** Python {@code len()}. */
    static long len(Object v, int line) {
        return switch (v) {
            case String s -> PyStr.length(s);
            case Markup m -> PyStr.length(m.value());
            case Collection<?> c -> c.size();
            case Map<?, ?> m -> m.size();
            case Undefined u -> 0;
            case null -> throw new TemplateException(line, "object of type 'NoneType' has no len()");
            default -> throw new TemplateException(line, "object of type '" + typeName(v) + "' has no len()");
        };
    }

    /** Converts JSON-like Java values (arrays, Integer, Float...) into template values. */
    static Object fromJava(Object v) {
        return switch (v) {
            case Integer i -> (long) i;
            case Short s -> (long) s;
            case Byte b -> (long) b;
            case Float f -> (double) f;
            case BigDecimal bd -> bd.doubleValue();
            case Character c -> String.valueOf(c);
            case Map<?, ?> m -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                m.forEach((k, val) -> out.put(fromJava(k), fromJava(val)));
                yield out;
            }
            case PyTuple t -> t;
            case Collection<?> c -> {
                List<Object> out = new ArrayList<>(c.size());
                for (Object o : c) out.add(fromJava(o));
                yield out;
            }
            case Object[] arr -> fromJava(java.util.Arrays.asList(arr));
            case null -> null;
            default -> v;
        };
    }
}
