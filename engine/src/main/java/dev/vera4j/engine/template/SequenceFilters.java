package dev.vera4j.engine.template;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.Function;
import java.util.function.Predicate;

/** Filters over sequences: {@code map}, {@code select/reject(attr)}, {@code sort}, {@code min/max}, {@code dictsort}, {@code batch/slice}. */
final class SequenceFilters {
    private SequenceFilters() {}

    /** jinja2's make_attrgetter: dotted path, integer parts as indexes, item lookup first. */
    static Function<Object, Object> attrGetter(Object attribute, Object fallback, int line) {
        List<Object> parts = new ArrayList<>();
        if (PyOps.isString(attribute)) {
            for (String p : PyOps.str(attribute).split("\\.", -1)) parts.add(p.matches("\\d{1,18}") ? (Object) Long.parseLong(p) : p);
        } else {
            parts.add(attribute);
        }
        return item -> {
            Object x = item;
            for (Object p : parts) {
                x = PyAccess.getItem(x, p, line);
                if (fallback != null && x instanceof Undefined) x = fallback;
            }
            return x;
        };
    }

    static Function<Object, Object> keyFunction(Object attribute, boolean caseSensitive, int line) {
        Function<Object, Object> get = attribute == null ? Function.identity() : attrGetter(attribute, null, line);
        return caseSensitive ? get : x -> {
            Object k = get.apply(x);
            return PyOps.isString(k) ? PyStr.lower(PyOps.str(k)) : k;
        };
    }

    static Object map(Object v, List<Object> args, Map<String, Object> kwargs, int line) {
        Function<Object, Object> f;
        if (args.isEmpty() && kwargs.containsKey("attribute")) {
            for (String k : kwargs.keySet()) {
                if (!k.equals("attribute") && !k.equals("default")) throw new TemplateException(line, "Unexpected keyword argument '" + k + "'");
            }
            f = attrGetter(kwargs.get("attribute"), kwargs.get("default"), line);
        } else {
            if (args.isEmpty()) throw new TemplateException(line, "map requires a filter argument");
            String filter = PyOps.str(args.getFirst());
            List<Object> rest = args.subList(1, args.size());
            f = x -> Filters.apply(filter, x, rest, kwargs, line);
        }
        if (!PyOps.truthy(v)) return new PyGenerator("do_map", List.<Object>of().iterator());
        Iterator<Object> src = PyOps.iterate(v, line);
        return new PyGenerator("do_map", new Iterator<>() {
            @Override public boolean hasNext() { return src.hasNext(); }

            @Override public Object next() { return f.apply(src.next()); }
        });
    }

    static Object select(String name, Object v, List<Object> args, Map<String, Object> kwargs, int line) {
        boolean byAttr = name.endsWith("attr");
        boolean reject = name.startsWith("reject");
        Function<Object, Object> transform = Function.identity();
        int off = 0;
        if (byAttr) {
            if (args.isEmpty()) throw new TemplateException(line, "Missing parameter for attribute name");
            transform = attrGetter(args.getFirst(), null, line);
            off = 1;
        }
        Predicate<Object> test;
        if (args.size() > off) {
            String testName = PyOps.str(args.get(off));
            List<Object> rest = args.subList(off + 1, args.size());
            test = x -> Tests.apply(testName, x, rest, kwargs, line);
        } else {
            test = PyOps::truthy;
        }
        if (!PyOps.truthy(v)) return new PyGenerator("select_or_reject", List.<Object>of().iterator());
        Function<Object, Object> tf = transform;
        Predicate<Object> keep = x -> test.test(tf.apply(x)) != reject;
        Iterator<Object> src = PyOps.iterate(v, line);
        return new PyGenerator("select_or_reject", new Iterator<>() {
            private Object pending;
            private boolean ready;

            @Override public boolean hasNext() {
                while (!ready && src.hasNext()) {
                    Object x = src.next();
                    if (keep.test(x)) { pending = x; ready = true; }
                }
                return ready;
            }

            @Override public Object next() {
                if (!hasNext()) throw new NoSuchElementException();
                ready = false;
                return pending;
            }
        });
    }

    static Object minMax(String name, Object v, CallArgs a, int line) {
        Function<Object, Object> key = keyFunction(a.get("attribute", null), a.bool("case_sensitive", false), line);
        Object best = null, bestKey = null;
        boolean any = false;
        Iterator<Object> it = PyOps.iterate(v, line);
        while (it.hasNext()) {
            Object x = it.next(), k = key.apply(x);
            if (!any || (name.equals("max") ? PyOps.compare(k, bestKey, ">", line) > 0 : PyOps.compare(k, bestKey, "<", line) < 0)) {
                best = x;
                bestKey = k;
                any = true;
            }
        }
        return any ? best : new Undefined("No aggregated item, sequence was empty.");
    }

    static Object sort(Object v, CallArgs a, int line) {
        Function<Object, Object> key = keyFunction(a.get("attribute", null), a.bool("case_sensitive", false), line);
        List<Object> l = PyOps.toList(v, line);
        List<Object[]> keyed = new ArrayList<>();
        for (Object x : l) keyed.add(new Object[] {key.apply(x), x});
        keyed.sort((x, y) -> PyOps.compare(x[0], y[0], "<", line));
        if (a.bool("reverse", false)) java.util.Collections.reverse(keyed);
        List<Object> out = new ArrayList<>();
        for (Object[] k : keyed) out.add(k[1]);
        return out;
    }

    static Object dictsort(Object v, CallArgs a, int line) {
        if (!(v instanceof Map<?, ?> m)) throw new TemplateException(line, "dictsort needs a mapping");
        String by = a.string("by", "key");
        int pos = switch (by) { case "key" -> 0; case "value" -> 1; default -> throw new TemplateException(line, "You can only sort by either \"key\" or \"value\""); };
        boolean cs = a.bool("case_sensitive", false);
        List<Object> items = new ArrayList<>();
        m.forEach((k, x) -> items.add(new PyTuple(k, x)));
        items.sort((x, y) -> {
            Object kx = ((List<?>) x).get(pos), ky = ((List<?>) y).get(pos);
            if (!cs) {
                if (PyOps.isString(kx)) kx = PyStr.lower(PyOps.str(kx));
                if (PyOps.isString(ky)) ky = PyStr.lower(PyOps.str(ky));
            }
            return PyOps.compare(kx, ky, "<", line);
        });
        if (a.bool("reverse", false)) java.util.Collections.reverse(items);
        return items;
    }

    static Object batchOrSlice(String name, Object v, CallArgs a, int line) {
        List<Object> items = PyOps.toList(v, line);
        Object fill = a.get("fill_with", null);
        boolean hasFill = a.has("fill_with") && fill != null;
        long n = a.integer(name.equals("batch") ? "linecount" : "slices", 0);
        if (n <= 0) throw new TemplateException(line, name + " count must be positive");
        List<Object> out = new ArrayList<>();
        if (name.equals("batch")) {
            for (int i = 0; i < items.size(); i += (int) n) {
                List<Object> chunk = new ArrayList<>(items.subList(i, (int) Math.min(items.size(), i + n)));
                while (hasFill && chunk.size() < n) chunk.add(fill);
                out.add(chunk);
            }
            return out;
        }
        int len = items.size(), per = (int) (len / n), extra = (int) (len % n), offset = 0;
        for (int i = 0; i < n; i++) {
            int start = offset + i * per;
            if (i < extra) offset++;
            int end = offset + (i + 1) * per;
            List<Object> chunk = new ArrayList<>(items.subList(start, end));
            if (hasFill && i >= extra) chunk.add(fill);
            out.add(chunk);
        }
        return new PyGenerator("do_slice", out.iterator());
    }
}
