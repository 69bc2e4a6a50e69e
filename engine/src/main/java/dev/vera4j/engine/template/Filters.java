package dev.vera4j.engine.template;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/** jinja2's built-in filters with HF's {@code tojson}; lazy ones ({@code map}, {@code select}...) return generators. */
final class Filters {
    private static final Pattern WORD_BEGINNING = Pattern.compile("([-\\s({\\[<]+)");

    private Filters() {}

    static boolean exists(String name) {
        return switch (name) {
            case "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape", "first",
                 "float", "forceescape", "format", "indent", "int", "items", "join", "last", "length", "list", "lower", "map",
                 "max", "min", "pprint", "reject", "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr",
                 "slice", "sort", "string", "sum", "title", "tojson", "trim", "truncate", "unique", "upper", "wordcount" -> true;
            default -> false;
        };
    }

    static Object apply(String name, Object v, List<Object> args, Map<String, Object> kwargs, int line) {
        return switch (name) {
            case "abs" -> {
                new CallArgs(name, args, kwargs, line);
                if (v instanceof Double d) yield Math.abs(d);
                if (PyOps.isNumber(v)) yield Math.abs(((Number) (v instanceof Boolean b ? (b ? 1L : 0L) : v)).longValue());
                throw new TemplateException(line, "bad operand type for abs(): '" + PyOps.typeName(v) + "'");
            }
            case "attr" -> {
                String attr = new CallArgs(name, args, kwargs, line, "name").string("name", null);
                Object r = Methods.attribute(v, attr, line);
                yield r;
            }
            case "capitalize" -> { new CallArgs(name, args, kwargs, line); yield PyStr.capitalize(PyOps.str(v)); }
            case "center" -> StrMethods.pad(PyOps.str(v), new CallArgs(name, args, kwargs, line, "width").size("width", 80), " ", "center");
            case "count", "length" -> { new CallArgs(name, args, kwargs, line); yield PyOps.len(v, line); }
            case "d", "default" -> {
                CallArgs a = new CallArgs(name, args, kwargs, line, "default_value", "boolean");
                yield v instanceof Undefined || (a.bool("boolean", false) && !PyOps.truthy(v)) ? a.get("default_value", "") : v;
            }
            case "dictsort" -> SequenceFilters.dictsort(v, new CallArgs(name, args, kwargs, line, "case_sensitive", "by", "reverse"), line);
            case "e", "escape" -> { new CallArgs(name, args, kwargs, line); yield v instanceof Markup ? v : new Markup(PyStr.escapeHtml(PyOps.str(v))); }
            case "forceescape" -> { new CallArgs(name, args, kwargs, line); yield new Markup(PyStr.escapeHtml(PyOps.str(v))); }
            case "first" -> {
                new CallArgs(name, args, kwargs, line);
                Iterator<Object> it = PyOps.iterate(v, line);
                yield it.hasNext() ? it.next() : new Undefined("No first item, sequence was empty.");
            }
            case "last" -> {
                new CallArgs(name, args, kwargs, line);
                if (!(v instanceof List || PyOps.isString(v) || v instanceof Map)) throw new TemplateException(line, "'" + PyOps.typeName(v) + "' object is not reversible");
                List<Object> l = PyOps.toList(v, line);
                yield l.isEmpty() ? new Undefined("No last item, sequence was empty.") : l.getLast();
            }
            case "float" -> toFloat(v, new CallArgs(name, args, kwargs, line, "default").get("default", 0.0));
            case "int" -> {
                CallArgs a = new CallArgs(name, args, kwargs, line, "default", "base");
                yield toInt(v, a.get("default", 0L), (int) a.integer("base", 10));
            }
            case "format" -> {
                if (!args.isEmpty() && !kwargs.isEmpty()) throw new TemplateException(line, "can't handle positional and keyword arguments at the same time");
                yield Formatting.percent(PyOps.str(v), kwargs.isEmpty() ? new PyTuple(args) : new java.util.LinkedHashMap<Object, Object>(kwargs), line);
            }
            case "indent" -> {
                CallArgs a = new CallArgs(name, args, kwargs, line, "width", "first", "blank");
                Object w = a.get("width", 4L);
                String ind = PyOps.isString(w) ? PyOps.str(w) : " ".repeat(a.size("width", 4));
                yield indent(v, ind, a.bool("first", false), a.bool("blank", false));
            }
            case "items" -> {
                new CallArgs(name, args, kwargs, line);
                if (v instanceof Undefined) yield new PyGenerator("do_items", List.<Object>of().iterator());
                if (!(v instanceof Map<?, ?> m)) throw new TemplateException(line, "Can only get item pairs from a mapping.");
                List<Object> pairs = new ArrayList<>();
                m.forEach((k, x) -> pairs.add(new PyTuple(k, x)));
                yield new PyGenerator("do_items", pairs.iterator());
            }
            case "join" -> {
                CallArgs a = new CallArgs(name, args, kwargs, line, "d", "attribute");
                Object attr = a.get("attribute", null);
                Iterator<Object> it = PyOps.iterate(v, line);
                StringBuilder sb = new StringBuilder();
                String sep = PyOps.str(a.get("d", ""));
                boolean first = true;
                while (it.hasNext()) {
                    Object x = it.next();
                    if (attr != null) x = SequenceFilters.attrGetter(attr, null, line).apply(x);
                    if (!first) sb.append(sep);
                    first = false;
                    sb.append(PyOps.str(x));
                }
                yield sb.toString();
            }
            case "list" -> { new CallArgs(name, args, kwargs, line); yield PyOps.toList(v, line); }
            case "lower" -> { new CallArgs(name, args, kwargs, line); yield PyStr.lower(PyOps.str(v)); }
            case "upper" -> { new CallArgs(name, args, kwargs, line); yield PyStr.upper(PyOps.str(v)); }
            case "title" -> { new CallArgs(name, args, kwargs, line); yield title(PyOps.str(v)); }
            case "trim" -> PyStr.strip(PyOps.str(v), new CallArgs(name, args, kwargs, line, "chars").string("chars", null));
            case "string" -> { new CallArgs(name, args, kwargs, line); yield v instanceof Markup ? v : PyOps.str(v); }
            case "pprint" -> { new CallArgs(name, args, kwargs, line); yield PyOps.repr(v); }
            case "safe" -> { new CallArgs(name, args, kwargs, line); yield v instanceof Markup ? v : new Markup(PyOps.str(v)); }
            case "map" -> SequenceFilters.map(v, args, kwargs, line);
            case "select", "reject", "selectattr", "rejectattr" -> SequenceFilters.select(name, v, args, kwargs, line);
            case "max", "min" -> SequenceFilters.minMax(name, v, new CallArgs(name, args, kwargs, line, "case_sensitive", "attribute"), line);
            case "replace" -> {
                CallArgs a = new CallArgs(name, args, kwargs, line, "old", "new", "count");
                Object count = a.get("count", null);
                yield StrMethods.replace(PyOps.str(v), PyOps.str(a.require("old")), PyOps.str(a.require("new")), count == null ? -1 : a.integer("count", -1));
            }
            case "reverse" -> {
                new CallArgs(name, args, kwargs, line);
                if (PyOps.isString(v)) yield PyAccess.slice(PyOps.str(v), null, null, -1L, line);
                List<Object> l = PyOps.toList(v, line);
                java.util.Collections.reverse(l);
                yield v instanceof List ? new PyGenerator("list_reverseiterator", l.iterator()) : l;
            }
            case "round" -> {
                CallArgs a = new CallArgs(name, args, kwargs, line, "precision", "method");
                yield round(v, (int) Math.max(-400, Math.min(400, a.integer("precision", 0))), a.string("method", "common"), line);
            }
            case "sort" -> SequenceFilters.sort(v, new CallArgs(name, args, kwargs, line, "reverse", "case_sensitive", "attribute"), line);
            case "unique" -> {
                CallArgs a = new CallArgs(name, args, kwargs, line, "case_sensitive", "attribute");
                Function<Object, Object> key = SequenceFilters.keyFunction(a.get("attribute", null), a.bool("case_sensitive", false), line);
                List<Object> seen = new ArrayList<>(), out = new ArrayList<>();
                Iterator<Object> it = PyOps.iterate(v, line);
                while (it.hasNext()) {
                    Object x = it.next(), k = key.apply(x);
                    if (seen.stream().noneMatch(s -> PyOps.eq(s, k))) { seen.add(k); out.add(x); }
                }
                yield new PyGenerator("do_unique", out.iterator());
            }
            case "sum" -> {
                CallArgs a = new CallArgs(name, args, kwargs, line, "attribute", "start");
                Object attr = a.get("attribute", null);
                Object total = a.get("start", 0L);
                Iterator<Object> it = PyOps.iterate(v, line);
                while (it.hasNext()) {
                    Object x = it.next();
                    total = PyArith.binary("+", total, attr == null ? x : SequenceFilters.attrGetter(attr, null, line).apply(x), line);
                }
                yield total;
            }
            case "tojson" -> PyJson.tojson(v, new CallArgs(name, args, kwargs, line, "ensure_ascii", "indent", "separators", "sort_keys"));
            case "truncate" -> {
                CallArgs a = new CallArgs(name, args, kwargs, line, "length", "killwords", "end", "leeway");
                yield truncate(PyOps.str(v), (int) a.integer("length", 255), a.bool("killwords", false), a.string("end", "..."), (int) a.integer("leeway", 5), line);
            }
            case "wordcount" -> { new CallArgs(name, args, kwargs, line); yield Pattern.compile("\\w+", Pattern.UNICODE_CHARACTER_CLASS).matcher(PyOps.str(v)).results().count(); }
            case "batch", "slice" -> SequenceFilters.batchOrSlice(name, v, new CallArgs(name, args, kwargs, line, name.equals("batch") ? "linecount" : "slices", "fill_with"), line);
            default -> throw new TemplateException(line, "no filter named '" + name + "'");
        };
    }

    private static String title(String s) {
        StringBuilder sb = new StringBuilder();
        var m = WORD_BEGINNING.matcher(s);
        int last = 0;
        List<String> parts = new ArrayList<>();
        while (m.find()) {
            parts.add(s.substring(last, m.start()));
            parts.add(m.group());
            last = m.end();
        }
        parts.add(s.substring(last));
        for (String item : parts) {
            if (item.isEmpty()) continue;
            int cp = item.codePointAt(0);
            sb.append(PyStr.upper(Character.toString(cp))).append(PyStr.lower(item.substring(Character.charCount(cp))));
        }
        return sb.toString();
    }

    private static Object indent(Object v, String ind, boolean first, boolean blank) {
        String s = PyOps.str(v) + "\n";
        List<String> lines = PyStr.splitlines(s);
        StringBuilder rv = new StringBuilder();
        if (blank) {
            rv.append(String.join("\n" + ind, lines));
        } else {
            rv.append(lines.isEmpty() ? "" : lines.getFirst());
            for (int i = 1; i < lines.size(); i++) rv.append('\n').append(lines.get(i).isEmpty() ? "" : ind + lines.get(i));
        }
        String out = first ? ind + rv : rv.toString();
        return v instanceof Markup ? new Markup(out) : out;
    }

    static Object toInt(Object v, Object fallback, int base) {
        if (v instanceof Boolean b) return b ? 1L : 0L;
        if (PyOps.isInt(v)) return ((Number) v).longValue();
        if (v instanceof Double d) return Double.isFinite(d) ? (Object) (long) d.doubleValue() : fallback;
        if (PyOps.isString(v)) {
            String s = PyStr.strip(PyOps.str(v), null).replace("_", "");
            try {
                String digits = s;
                boolean neg = digits.startsWith("-");
                if (neg || digits.startsWith("+")) digits = digits.substring(1);
                String lower = digits.toLowerCase();
                if ((base == 16 && lower.startsWith("0x")) || (base == 8 && lower.startsWith("0o")) || (base == 2 && lower.startsWith("0b"))) digits = digits.substring(2);
                long r = Long.parseLong(digits, base);
                return neg ? -r : r;
            } catch (NumberFormatException e) {
                Object f = toFloat(v, null);
                return f instanceof Double d && Double.isFinite(d) ? (Object) (long) d.doubleValue() : fallback;
            }
        }
        return fallback;
    }

    static Object toFloat(Object v, Object fallback) {
        if (v instanceof Boolean b) return b ? 1.0 : 0.0;
        if (PyOps.isNumber(v)) return ((Number) v).doubleValue();
        if (PyOps.isString(v)) {
            String s = PyStr.strip(PyOps.str(v), null).toLowerCase().replace("_", "");
            switch (s) {
                case "nan", "+nan", "-nan" -> { return Double.NaN; }
                case "inf", "+inf", "infinity", "+infinity" -> { return Double.POSITIVE_INFINITY; }
                case "-inf", "-infinity" -> { return Double.NEGATIVE_INFINITY; }
                default -> { }
            }
            if (!s.matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)(e[+-]?\\d+)?")) return fallback;
            return Double.parseDouble(s);
        }
        return fallback;
    }

    private static Object round(Object v, int precision, String method, int line) {
        if (!PyOps.isNumber(v)) throw new TemplateException(line, "type " + PyOps.typeName(v) + " doesn't define __round__ method");
        double d = ((Number) (v instanceof Boolean b ? (b ? 1L : 0L) : v)).doubleValue();
        // beyond +-400 digits every double is already exact (or rounds to zero), so the clamp above changes nothing
        if (!Double.isFinite(d)) return d;
        RoundingMode mode = switch (method) {
            case "common" -> RoundingMode.HALF_EVEN; // Python's round() on the exact binary value
            case "ceil" -> RoundingMode.CEILING;
            case "floor" -> RoundingMode.FLOOR;
            default -> throw new TemplateException(line, "method must be common, ceil or floor");
        };
        if (method.equals("common") && (PyOps.isInt(v) || v instanceof Boolean)) {
            // Python's round() of an int stays an int
            return new BigDecimal(((Number) (v instanceof Boolean b ? (b ? 1L : 0L) : v)).longValue()).setScale(precision, mode).setScale(0, mode).longValueExact();
        }
        if (!method.equals("common")) {
            double p = Math.pow(10, precision);
            return (mode == RoundingMode.CEILING ? Math.ceil(d * p) : Math.floor(d * p)) / p;
        }
        return new BigDecimal(d).setScale(precision, mode).doubleValue();
    }








    private static String truncate(String s, int length, boolean killwords, String end, int leeway, int line) {
        if (length < end.length()) throw new TemplateException(line, "expected length >= " + end.length() + ", got " + length);
        if (leeway < 0) throw new TemplateException(line, "expected leeway >= 0, got " + leeway);
        if (PyStr.length(s) <= length + leeway) return s;
        String cut = (String) PyAccess.slice(s, null, (long) (length - end.length()), null, line);
        if (killwords) return cut + end;
        int sp = cut.lastIndexOf(' ');
        return (sp < 0 ? cut : cut.substring(0, sp)) + end; // Python: cut.rsplit(" ", 1)[0]
    }

}
