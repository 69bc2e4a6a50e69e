package dev.vera4j.engine.template;

import java.util.List;
import java.util.Map;

/** Binds positional and keyword arguments of a built-in function or filter to its parameter names. */
final class CallArgs {
    private final String function;
    private final List<Object> args;
    private final Map<String, Object> kwargs;
    private final List<String> params;
    private final int line;

    /** {@code params} lists the accepted names in positional order; more positional arguments are an error. */
    CallArgs(String function, List<Object> args, Map<String, Object> kwargs, int line, String... params) {
        this.function = function;
        this.args = args;
        this.kwargs = kwargs;
        this.params = List.of(params);
        this.line = line;
        if (args.size() > params.length) {
            throw new TemplateException(line, function + "() takes at most " + params.length + " argument(s), got " + args.size());
        }
        for (String k : kwargs.keySet()) {
            if (!this.params.contains(k)) throw new TemplateException(line, function + "() got an unexpected keyword argument '" + k + "'");
            if (this.params.indexOf(k) < args.size()) throw new TemplateException(line, function + "() got multiple values for argument '" + k + "'");
        }
    }

    boolean has(String name) {
        int i = params.indexOf(name);
        return i < args.size() || kwargs.containsKey(name);
    }

    Object get(String name, Object fallback) {
        int i = params.indexOf(name);
        if (i < 0) throw new IllegalArgumentException(name);
        if (i < args.size()) return args.get(i);
        return kwargs.getOrDefault(name, fallback);
    }

    Object require(String name) {
        if (!has(name)) throw new TemplateException(line, function + "() missing required argument '" + name + "'");
        return get(name, null);
    }

    String string(String name, String fallback) {
        Object v = get(name, fallback);
        if (v == null) return null;
        if (!PyOps.isString(v)) throw new TemplateException(line, function + "() argument '" + name + "' must be str, not " + PyOps.typeName(v));
        return PyOps.str(v);
    }

    long integer(String name, long fallback) {
        Object v = get(name, fallback);
        if (v instanceof Boolean b) return b ? 1 : 0;
        if (!PyOps.isInt(v)) throw new TemplateException(line, function + "() argument '" + name + "' must be an integer, not " + PyOps.typeName(v));
        return ((Number) v).longValue();
    }

    boolean bool(String name, boolean fallback) { return PyOps.truthy(get(name, fallback)); }

    /** Largest width, indent or repeat count accepted, so a template cannot ask for gigabytes of padding. */
    static final int MAX_SIZE = 1_000_000;

    /** An integer used as a size (negative means 0, as in Python's padding); too large is an error. */
    int size(String name, long fallback) {
        return checkSize(integer(name, fallback), function + "() " + name, line);
    }

    static int checkSize(long v, String what, int line) {
        if (v > MAX_SIZE) throw new TemplateException(line, what + " " + v + " is larger than " + MAX_SIZE);
        return (int) Math.max(0, v);
    }

    /** Parses a run of ASCII digits as a non-negative int, failing cleanly when it is too large. */
    static int digits(String s, String what, int line) {
        if (s.length() > 9) throw new TemplateException(line, what + " " + s + " is too large");
        return Integer.parseInt(s);
    }

    int line() { return line; }
}
