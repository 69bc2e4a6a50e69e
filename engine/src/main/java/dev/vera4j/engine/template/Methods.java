package dev.vera4j.engine.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Attributes of template values: Python methods of str, dict and list (as bound callables), {@code loop} fields and
 * namespace attributes. Mutating methods are refused, as in jinja2's immutable sandbox that Hugging Face uses.
 */
final class Methods {
    private static final Set<String> STR = Set.of("strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "startswith",
            "endswith", "upper", "lower", "title", "capitalize", "swapcase", "casefold", "replace", "find", "rfind", "index",
            "rindex", "count", "join", "format", "isdigit", "isdecimal", "isnumeric", "isalpha", "isalnum", "isspace",
            "islower", "isupper", "istitle", "zfill", "center", "ljust", "rjust", "partition", "rpartition", "removeprefix",
            "removesuffix", "expandtabs", "encode");
    private static final Set<String> DICT = Set.of("get", "items", "keys", "values", "copy");
    private static final Set<String> DICT_MUTATING = Set.of("pop", "popitem", "setdefault", "update", "clear", "fromkeys");
    private static final Set<String> LIST = Set.of("index", "count", "copy");
    private static final Set<String> NUMBER = Set.of("real", "imag", "numerator", "denominator");
    private static final Set<String> LIST_MUTATING = Set.of("append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear");

    private Methods() {}

    /** The attribute, or an {@link Undefined} naming what is missing. */
    static Object attribute(Object obj, String name, int line) {
        if (obj == null) return Undefined.attribute(null, name);
        switch (obj) {
            case String s when STR.contains(name) -> { return (PyCallable) (a, k, l) -> StrMethods.call(s, name, a, k, l); }
            case Markup m when STR.contains(name) -> { return (PyCallable) (a, k, l) -> StrMethods.call(m.value(), name, a, k, l); }
            case Map<?, ?> m when DICT.contains(name) -> { return (PyCallable) (a, k, l) -> dict(m, name, a, k, l); }
            case Map<?, ?> m when DICT_MUTATING.contains(name) -> { return unsafe(obj, name); }
            case PyView v -> { return Undefined.attribute(obj, name); }
            case List<?> l when LIST.contains(name) -> { return (PyCallable) (a, k, ln) -> list(l, name, a, k, ln); }
            case List<?> l when LIST_MUTATING.contains(name) -> { return unsafe(obj, name); }
            case Namespace ns -> {
                return ns.attributes.containsKey(name) ? ns.attributes.get(name) : Undefined.attribute(obj, name);
            }
            case LoopContext loop -> { return loop.attribute(name); }
            case Long l when NUMBER.contains(name) -> { return name.equals("imag") ? (Object) 0L : name.equals("denominator") ? (Object) 1L : l; }
            case Double d when name.equals("real") || name.equals("imag") -> { return name.equals("real") ? d : 0.0; }
            default -> { return Undefined.attribute(obj, name); }
        }
    }

    private static PyCallable unsafe(Object obj, String name) {
        return (a, k, l) -> {
            throw new TemplateException(l, "access to attribute '" + name + "' of '" + PyOps.typeName(obj) + "' object is unsafe");
        };
    }

    private static Object dict(Map<?, ?> m, String name, List<Object> args, Map<String, Object> kwargs, int line) {
        if (!kwargs.isEmpty()) throw new TemplateException(line, "dict." + name + "() takes no keyword arguments");
        switch (name) {
            case "get" -> {
                if (args.isEmpty() || args.size() > 2) throw new TemplateException(line, "dict.get() takes 1 or 2 arguments");
                Object k = PyOps.findKey(m, args.getFirst());
                return k != PyOps.NO_KEY ? m.get(k) : args.size() > 1 ? args.get(1) : null;
            }
            case "items" -> {
                noArgs("dict.items", args, line);
                List<Object> out = new ArrayList<>();
                m.forEach((k, v) -> out.add(new PyTuple(k, v)));
                return new PyView("dict_items", out);
            }
            case "keys" -> {
                noArgs("dict.keys", args, line);
                return new PyView("dict_keys", new ArrayList<Object>(m.keySet()));
            }
            case "values" -> {
                noArgs("dict.values", args, line);
                return new PyView("dict_values", new ArrayList<Object>(m.values()));
            }
            default -> {
                noArgs("dict.copy", args, line);
                return new java.util.LinkedHashMap<Object, Object>(m);
            }
        }
    }

    private static Object list(List<?> l, String name, List<Object> args, Map<String, Object> kwargs, int line) {
        if (!kwargs.isEmpty()) throw new TemplateException(line, "list." + name + "() takes no keyword arguments");
        switch (name) {
            case "count" -> {
                if (args.size() != 1) throw new TemplateException(line, "list.count() takes exactly one argument");
                return l.stream().filter(x -> PyOps.eq(x, args.getFirst())).count();
            }
            case "index" -> {
                if (args.size() != 1) throw new TemplateException(line, "list.index() takes exactly one argument");
                for (int i = 0; i < l.size(); i++) if (PyOps.eq(l.get(i), args.getFirst())) return (long) i;
                throw new TemplateException(line, PyOps.repr(args.getFirst()) + " is not in list");
            }
            default -> {
                noArgs("list.copy", args, line);
                return new ArrayList<Object>(l);
            }
        }
    }

    static void noArgs(String fn, List<Object> args, int line) {
        if (!args.isEmpty()) throw new TemplateException(line, fn + "() takes no arguments (" + args.size() + " given)");
    }
}
