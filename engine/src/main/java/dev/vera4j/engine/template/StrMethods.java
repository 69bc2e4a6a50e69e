package dev.vera4j.engine.template;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Python {@code str} methods callable from templates ({@code s.strip()}, {@code s.split(',')}, ...). */
final class StrMethods {
    private StrMethods() {}

    static Object call(String s, String name, List<Object> args, Map<String, Object> kwargs, int line) {
        String fn = "str." + name;
        return switch (name) {
            case "strip", "lstrip", "rstrip" -> {
                String chars = new CallArgs(fn, args, kwargs, line, "chars").string("chars", null);
                yield name.equals("strip") ? PyStr.strip(s, chars) : name.equals("lstrip") ? PyStr.lstrip(s, chars) : PyStr.rstrip(s, chars);
            }
            case "split", "rsplit" -> {
                CallArgs a = new CallArgs(fn, args, kwargs, line, "sep", "maxsplit");
                String sep = a.string("sep", null);
                if (sep != null && sep.isEmpty()) throw new TemplateException(line, "empty separator");
                long max = a.integer("maxsplit", -1);
                yield name.equals("split") ? PyStr.split(s, sep, max) : PyStr.rsplit(s, sep, max);
            }
            case "splitlines" -> {
                new CallArgs(fn, args, kwargs, line);
                yield new java.util.ArrayList<Object>(PyStr.splitlines(s));
            }
            case "startswith", "endswith" -> {
                CallArgs a = new CallArgs(fn, args, kwargs, line, "prefix");
                Object p = a.require("prefix");
                List<?> options = p instanceof PyTuple t ? t : List.of(p);
                boolean match = false;
                for (Object o : options) {
                    if (!PyOps.isString(o)) throw new TemplateException(line, fn + " first arg must be str or a tuple of str, not " + PyOps.typeName(o));
                    match |= name.equals("startswith") ? s.startsWith(PyOps.str(o)) : s.endsWith(PyOps.str(o));
                }
                yield match;
            }
            case "upper" -> { new CallArgs(fn, args, kwargs, line); yield PyStr.upper(s); }
            case "lower", "casefold" -> { new CallArgs(fn, args, kwargs, line); yield PyStr.lower(s); }
            case "title" -> { new CallArgs(fn, args, kwargs, line); yield PyStr.title(s); }
            case "capitalize" -> { new CallArgs(fn, args, kwargs, line); yield PyStr.capitalize(s); }
            case "swapcase" -> {
                new CallArgs(fn, args, kwargs, line);
                StringBuilder sb = new StringBuilder();
                s.codePoints().forEach(c -> sb.appendCodePoint(Character.isUpperCase(c) ? Character.toLowerCase(c) : Character.toUpperCase(c)));
                yield sb.toString();
            }
            case "replace" -> {
                CallArgs a = new CallArgs(fn, args, kwargs, line, "old", "new", "count");
                yield replace(s, str(a, "old", line), str(a, "new", line), a.integer("count", -1));
            }
            case "find", "rfind", "index", "rindex", "count" -> {
                CallArgs a = new CallArgs(fn, args, kwargs, line, "sub");
                String sub = str(a, "sub", line);
                if (name.equals("count")) yield count(s, sub);
                int i = name.startsWith("r") ? s.lastIndexOf(sub) : s.indexOf(sub);
                if (i < 0 && name.endsWith("index")) throw new TemplateException(line, "substring not found");
                yield i < 0 ? -1L : (long) s.codePointCount(0, i);
            }
            case "join" -> {
                CallArgs a = new CallArgs(fn, args, kwargs, line, "iterable");
                StringBuilder sb = new StringBuilder();
                Iterator<Object> it = PyOps.iterate(a.require("iterable"), line);
                boolean first = true;
                while (it.hasNext()) {
                    Object o = it.next();
                    if (!PyOps.isString(o)) throw new TemplateException(line, "sequence item: expected str instance, " + PyOps.typeName(o) + " found");
                    if (!first) sb.append(s);
                    first = false;
                    sb.append(PyOps.str(o));
                }
                yield sb.toString();
            }
            case "format" -> Formatting.format(s, args, kwargs, line);
            case "isdigit", "isdecimal", "isnumeric" -> !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
            case "isalpha" -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
            case "isalnum" -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
            case "isspace" -> !s.isEmpty() && PyStr.isAllSpace(s);
            case "islower" -> s.codePoints().anyMatch(Character::isLowerCase) && s.codePoints().noneMatch(c -> Character.isUpperCase(c) || Character.isTitleCase(c));
            case "isupper" -> s.codePoints().anyMatch(Character::isUpperCase) && s.codePoints().noneMatch(c -> Character.isLowerCase(c) || Character.isTitleCase(c));
            case "istitle" -> !s.isEmpty() && s.equals(PyStr.title(s)) && s.codePoints().anyMatch(Character::isLetter);
            case "zfill" -> {
                long w = new CallArgs(fn, args, kwargs, line, "width").size("width", 0);
                int len = PyStr.length(s);
                if (w <= len) yield s;
                String pad = "0".repeat((int) (w - len));
                yield !s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+') ? s.charAt(0) + pad + s.substring(1) : pad + s;
            }
            case "center", "ljust", "rjust" -> {
                CallArgs a = new CallArgs(fn, args, kwargs, line, "width", "fillchar");
                String fill = a.string("fillchar", " ");
                if (PyStr.length(fill) != 1) throw new TemplateException(line, "the fill character must be exactly one character long");
                yield pad(s, a.size("width", 0), fill, name);
            }
            case "partition", "rpartition" -> {
                String sep = str(new CallArgs(fn, args, kwargs, line, "sep"), "sep", line);
                if (sep.isEmpty()) throw new TemplateException(line, "empty separator");
                int i = name.equals("partition") ? s.indexOf(sep) : s.lastIndexOf(sep);
                if (i < 0) yield name.equals("partition") ? new PyTuple(s, "", "") : new PyTuple("", "", s);
                yield new PyTuple(s.substring(0, i), sep, s.substring(i + sep.length()));
            }
            case "removeprefix" -> {
                String p = str(new CallArgs(fn, args, kwargs, line, "prefix"), "prefix", line);
                yield s.startsWith(p) ? s.substring(p.length()) : s;
            }
            case "removesuffix" -> {
                String p = str(new CallArgs(fn, args, kwargs, line, "suffix"), "suffix", line);
                yield s.endsWith(p) && !p.isEmpty() ? s.substring(0, s.length() - p.length()) : s;
            }
            case "expandtabs" -> {
                long size = new CallArgs(fn, args, kwargs, line, "tabsize").integer("tabsize", 8);
                StringBuilder sb = new StringBuilder();
                int col = 0;
                for (int i = 0; i < s.length(); i++) {
                    char c = s.charAt(i);
                    if (c == '\t') {
                        int n = size > 0 ? (int) (size - col % size) : 0;
                        sb.repeat(' ', n);
                        col += n;
                    } else {
                        sb.append(c);
                        col = (c == '\n' || c == '\r') ? 0 : col + 1;
                    }
                }
                yield sb.toString();
            }
            default -> throw new TemplateException(line, "str." + name + "() is not supported");
        };
    }

    private static String str(CallArgs a, String name, int line) {
        Object v = a.require(name);
        if (!PyOps.isString(v)) throw new TemplateException(line, "argument '" + name + "' must be str, not " + PyOps.typeName(v));
        return PyOps.str(v);
    }

    static String replace(String s, String old, String rep, long count) {
        if (count < 0) {
            if (old.isEmpty()) {
                StringBuilder sb = new StringBuilder(rep);
                s.codePoints().forEach(c -> sb.appendCodePoint(c).append(rep));
                return sb.toString();
            }
            return s.replace(old, rep);
        }
        StringBuilder sb = new StringBuilder();
        int i = 0;
        long done = 0;
        if (old.isEmpty()) {
            int[] cps = PyStr.codePoints(s);
            int k = 0;
            for (; k <= cps.length && done < count; k++, done++) {
                sb.append(rep);
                if (k < cps.length) sb.appendCodePoint(cps[k]);
            }
            for (; k < cps.length; k++) sb.appendCodePoint(cps[k]);
            return sb.toString();
        }
        while (done < count) {
            int j = s.indexOf(old, i);
            if (j < 0) break;
            sb.append(s, i, j).append(rep);
            i = j + old.length();
            done++;
        }
        return sb.append(s.substring(i)).toString();
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) return PyStr.length(s) + 1L;
        long n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) n++;
        return n;
    }

    static String pad(String s, int width, String fill, String how) {
        int len = PyStr.length(s);
        if (width <= len) return s;
        int total = width - len;
        int left = switch (how) {
            case "ljust" -> 0;
            case "rjust" -> total;
            default -> total / 2 + (total & width & 1); // CPython's centering rule
        };
        return fill.repeat(left) + s + fill.repeat(total - left);
    }
}
