package dev.vera4j.engine.template;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Python string formatting: {@code "%s" % x} (and the {@code format} filter) and {@code str.format}. */
final class Formatting {
    private Formatting() {}

    /** {@code fmt % values}: a tuple gives positional values, a dict named ones ({@code %(name)s}). */
    static String percent(String fmt, Object values, int line) {
        List<?> positional = values instanceof PyTuple t ? t : List.of(values == null ? NullArg.NULL : values);
        Map<?, ?> named = values instanceof Map<?, ?> m ? m : null;
        StringBuilder sb = new StringBuilder();
        int argi = 0;
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%') { sb.append(c); continue; }
            if (++i >= fmt.length()) throw new TemplateException(line, "incomplete format");
            Object arg = null;
            boolean haveArg = false;
            if (fmt.charAt(i) == '(') {
                int close = fmt.indexOf(')', i);
                if (close < 0 || named == null) throw new TemplateException(line, "format requires a mapping");
                Object key = fmt.substring(i + 1, close);
                Object k = PyOps.findKey(named, key);
                if (k == PyOps.NO_KEY) throw new TemplateException(line, "missing format key " + PyOps.repr(key));
                arg = named.get(k);
                haveArg = true;
                i = close + 1;
            }
            StringBuilder flags = new StringBuilder();
            while (i < fmt.length() && "-+ 0#".indexOf(fmt.charAt(i)) >= 0) flags.append(fmt.charAt(i++));
            int width = 0;
            int start = i;
            while (i < fmt.length() && Character.isDigit(fmt.charAt(i))) i++;
            if (i > start) width = CallArgs.checkSize(CallArgs.digits(fmt.substring(start, i), "format width", line), "format width", line);
            int precision = -1;
            if (i < fmt.length() && fmt.charAt(i) == '.') {
                start = ++i;
                while (i < fmt.length() && Character.isDigit(fmt.charAt(i))) i++;
                precision = i > start ? CallArgs.checkSize(CallArgs.digits(fmt.substring(start, i), "format precision", line), "format precision", line) : 0;
            }
            if (i >= fmt.length()) throw new TemplateException(line, "incomplete format");
            char conv = fmt.charAt(i);
            if (conv == '%') { sb.append('%'); continue; }
            if (!haveArg) {
                if (argi >= positional.size()) throw new TemplateException(line, "not enough arguments for format string");
                arg = positional.get(argi++);
                if (arg == NullArg.NULL) arg = null;
            }
            String body = convert(arg, conv, precision, flags.indexOf("+") >= 0 ? "+" : flags.indexOf(" ") >= 0 ? " " : "", line);
            char align = flags.indexOf("-") >= 0 ? '<' : '>';
            boolean zero = flags.indexOf("0") >= 0 && align == '>' && "dioxXeEfFgG".indexOf(conv) >= 0;
            sb.append(padded(body, width, zero ? '0' : ' ', align, zero));
        }
        if (named == null && argi < positional.size()) {
            throw new TemplateException(line, "not all arguments converted during string formatting");
        }
        return sb.toString();
    }

    private enum NullArg { NULL }

    private static String convert(Object arg, char conv, int precision, String sign, int line) {
        switch (conv) {
            case 's' -> { String s = PyOps.str(arg); return precision >= 0 ? s.substring(0, Math.min(s.length(), precision)) : s; }
            case 'r', 'a' -> { String s = PyOps.repr(arg); return precision >= 0 ? s.substring(0, Math.min(s.length(), precision)) : s; }
            case 'd', 'i', 'u' -> {
                if (!PyOps.isNumber(arg)) throw new TemplateException(line, "%d format: a real number is required, not " + PyOps.typeName(arg));
                long v = arg instanceof Double d ? (long) d.doubleValue() : arg instanceof Boolean b ? (b ? 1 : 0) : ((Number) arg).longValue();
                return (v >= 0 ? sign : "") + v;
            }
            case 'x', 'X', 'o' -> {
                if (!PyOps.isInt(arg)) throw new TemplateException(line, "%" + conv + " format: an integer is required, not " + PyOps.typeName(arg));
                long v = ((Number) arg).longValue();
                String s = Long.toString(Math.abs(v), conv == 'o' ? 8 : 16);
                return (v < 0 ? "-" : sign) + (conv == 'X' ? s.toUpperCase(Locale.ROOT) : s);
            }
            case 'f', 'F', 'e', 'E', 'g', 'G' -> {
                if (!PyOps.isNumber(arg)) throw new TemplateException(line, "must be real number, not " + PyOps.typeName(arg));
                double v = arg instanceof Boolean b ? (b ? 1 : 0) : ((Number) arg).doubleValue();
                return (v >= 0 && !sign.isEmpty() ? sign : "") + formatFloat(v, conv, precision < 0 ? 6 : precision);
            }
            case 'c' -> {
                if (PyOps.isInt(arg)) return Character.toString((int) ((Number) arg).longValue());
                return PyOps.str(arg);
            }
            default -> throw new TemplateException(line, "unsupported format character '" + conv + "'");
        }
    }

    static String formatFloat(double v, char conv, int precision) {
        if (Double.isNaN(v)) return Character.isUpperCase(conv) ? "NAN" : "nan";
        if (Double.isInfinite(v)) return (v < 0 ? "-" : "") + (Character.isUpperCase(conv) ? "INF" : "inf");
        return switch (Character.toLowerCase(conv)) {
            case 'f' -> new BigDecimal(v).setScale(precision, RoundingMode.HALF_EVEN).toPlainString();
            case 'e' -> {
                String s = String.format(Locale.ROOT, "%." + precision + "e", v);
                yield Character.isUpperCase(conv) ? s.toUpperCase(Locale.ROOT) : s;
            }
            default -> {
                int p = precision == 0 ? 1 : precision;
                if (v == 0) yield "0";
                int exp = (int) Math.floor(Math.log10(Math.abs(new BigDecimal(v).round(new java.math.MathContext(p, RoundingMode.HALF_EVEN)).doubleValue())));
                String s;
                if (exp < -4 || exp >= p) {
                    s = String.format(Locale.ROOT, "%." + (p - 1) + "e", v);
                    String mant = s.substring(0, s.indexOf('e'));
                    if (mant.contains(".")) mant = mant.replaceAll("0+$", "").replaceAll("\\.$", "");
                    s = mant + s.substring(s.indexOf('e'));
                } else {
                    s = new BigDecimal(v).setScale(Math.max(0, p - 1 - exp), RoundingMode.HALF_EVEN).toPlainString();
                    if (s.contains(".")) s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
                }
                yield Character.isUpperCase(conv) ? s.toUpperCase(Locale.ROOT) : s;
            }
        };
    }

    /** Inserts a thousands separator into the integer digits of a formatted number. */
    private static String group(String body, char sep) {
        int startDigits = 0;
        while (startDigits < body.length() && !Character.isDigit(body.charAt(startDigits))) startDigits++;
        int end = startDigits;
        while (end < body.length() && Character.isDigit(body.charAt(end))) end++;
        StringBuilder digits = new StringBuilder(body.substring(startDigits, end));
        for (int k = digits.length() - 3; k > 0; k -= 3) digits.insert(k, sep);
        return body.substring(0, startDigits) + digits + body.substring(end);
    }

    private static String padded(String body, int width, char fill, char align, boolean signAware) {
        int len = PyStr.length(body);
        if (width <= len) return body;
        String pad = String.valueOf(fill).repeat(width - len);
        if (signAware && !body.isEmpty() && (body.charAt(0) == '-' || body.charAt(0) == '+' || body.charAt(0) == ' ')) {
            return body.charAt(0) + pad + body.substring(1);
        }
        return switch (align) {
            case '<' -> body + pad;
            case '^' -> {
                int left = (width - len) / 2;
                yield String.valueOf(fill).repeat(left) + body + String.valueOf(fill).repeat(width - len - left);
            }
            default -> pad + body;
        };
    }

    /** {@code str.format(*args, **kwargs)} with {@code {}}, {@code {0}}, {@code {name}}, {@code !r/!s} and common specs. */
    static String format(String fmt, List<Object> args, Map<String, Object> kwargs, int line) {
        StringBuilder sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c == '}') {
                if (i + 1 < fmt.length() && fmt.charAt(i + 1) == '}') { sb.append('}'); i++; continue; }
                throw new TemplateException(line, "single '}' encountered in format string");
            }
            if (c != '{') { sb.append(c); continue; }
            if (i + 1 < fmt.length() && fmt.charAt(i + 1) == '{') { sb.append('{'); i++; continue; }
            int close = fmt.indexOf('}', i);
            if (close < 0) throw new TemplateException(line, "single '{' encountered in format string");
            String field = fmt.substring(i + 1, close);
            i = close;
            String spec = "";
            int colon = field.indexOf(':');
            if (colon >= 0) { spec = field.substring(colon + 1); field = field.substring(0, colon); }
            char conversion = 0;
            int bang = field.indexOf('!');
            if (bang >= 0) {
                if (bang + 2 != field.length()) throw new TemplateException(line, "bad conversion in format string");
                conversion = field.charAt(bang + 1);
                field = field.substring(0, bang);
            }
            int end = 0;
            while (end < field.length() && field.charAt(end) != '.' && field.charAt(end) != '[') end++;
            String head = field.substring(0, end);
            Object value;
            if (head.isEmpty()) {
                if (auto >= args.size()) throw new TemplateException(line, "replacement index " + auto + " out of range for positional args tuple");
                value = args.get(auto++);
            } else if (head.chars().allMatch(Character::isDigit)) {
                int k = CallArgs.digits(head, "format field index", line);
                if (k >= args.size()) throw new TemplateException(line, "replacement index " + k + " out of range for positional args tuple");
                value = args.get(k);
            } else {
                if (!kwargs.containsKey(head)) throw new TemplateException(line, "missing format key '" + head + "'");
                value = kwargs.get(head);
            }
            String rest = field.substring(end);
            while (!rest.isEmpty()) {
                if (rest.charAt(0) == '.') {
                    int e = 1;
                    while (e < rest.length() && rest.charAt(e) != '.' && rest.charAt(e) != '[') e++;
                    value = PyAccess.getAttr(value, rest.substring(1, e), line);
                    rest = rest.substring(e);
                } else {
                    int e = rest.indexOf(']');
                    if (e < 0) throw new TemplateException(line, "missing ']' in format string");
                    String key = rest.substring(1, e);
                    value = PyAccess.getItem(value, key.chars().allMatch(Character::isDigit) && !key.isEmpty() ? (Object) (long) CallArgs.digits(key, "format index", line) : key, line);
                    rest = rest.substring(e + 1);
                }
            }
            if (conversion == 'r' || conversion == 'a') value = PyOps.repr(value);
            else if (conversion == 's') value = PyOps.str(value);
            else if (conversion != 0) throw new TemplateException(line, "unknown conversion specifier " + conversion);
            sb.append(applySpec(value, spec, line));
        }
        return sb.toString();
    }

    private static String applySpec(Object value, String spec, int line) {
        if (spec.isEmpty()) return PyOps.str(value);
        int i = 0;
        char fill = ' ', align = 0;
        if (spec.length() >= 2 && "<>^=".indexOf(spec.charAt(1)) >= 0) { fill = spec.charAt(0); align = spec.charAt(1); i = 2; }
        else if ("<>^=".indexOf(spec.charAt(0)) >= 0) { align = spec.charAt(0); i = 1; }
        String sign = "";
        if (i < spec.length() && "+- ".indexOf(spec.charAt(i)) >= 0) { sign = spec.charAt(i) == '-' ? "" : String.valueOf(spec.charAt(i)); i++; }
        boolean zero = false;
        if (i < spec.length() && spec.charAt(i) == '0') { zero = true; i++; }
        int width = 0;
        int start = i;
        while (i < spec.length() && Character.isDigit(spec.charAt(i))) i++;
        if (i > start) width = CallArgs.checkSize(CallArgs.digits(spec.substring(start, i), "format width", line), "format width", line);
        char grouping = 0;
        if (i < spec.length() && (spec.charAt(i) == ',' || spec.charAt(i) == '_')) grouping = spec.charAt(i++);
        int precision = -1;
        if (i < spec.length() && spec.charAt(i) == '.') {
            start = ++i;
            while (i < spec.length() && Character.isDigit(spec.charAt(i))) i++;
            precision = i > start ? CallArgs.checkSize(CallArgs.digits(spec.substring(start, i), "format precision", line), "format precision", line) : 0;
        }
        char type = i < spec.length() ? spec.charAt(i++) : 0;
        if (i != spec.length()) throw new TemplateException(line, "invalid format specifier '" + spec + "'");
        String body;
        boolean numeric = PyOps.isNumber(value);
        if (type == 0 || type == 's') {
            if (type == 's' && numeric) throw new TemplateException(line, "unknown format code 's' for object of type '" + PyOps.typeName(value) + "'");
            body = numeric && precision >= 0 && value instanceof Double d ? formatFloat(d, 'g', precision) : PyOps.str(value);
            if (!numeric && precision >= 0) body = body.substring(0, Math.min(body.length(), precision));
            if (numeric && !sign.isEmpty() && !body.startsWith("-")) body = sign + body;
        } else {
            if (!numeric) throw new TemplateException(line, "unknown format code '" + type + "' for object of type '" + PyOps.typeName(value) + "'");
            if (type == '%') {
                double v = value instanceof Boolean b ? (b ? 1 : 0) : ((Number) value).doubleValue();
                body = convert(v * 100, 'f', precision, sign, line) + "%";
            } else {
                body = convert(value, type == 'n' ? 'd' : type, precision, sign, line);
            }
        }
        if (grouping != 0 && numeric) body = group(body, grouping);
        if (zero && align == 0) { fill = '0'; align = '='; }
        if (align == 0) align = numeric ? '>' : '<';
        return padded(body, width, fill, align == '=' ? '>' : align, align == '=');
    }
}
