package dev.vera4j.engine.template;

import java.util.ArrayList;
import java.util.List;

/** Python arithmetic on template values: {@code + - * / // % **}, unary minus, {@code ~}, sequence repetition. */
final class PyArith {
    private PyArith() {}

    static Object binary(String op, Object a, Object b, int line) {
        if (op.equals("~")) return PyOps.str(a) + PyOps.str(b);
        if (a instanceof Undefined u) throw u.error(line);
        if (b instanceof Undefined u) throw u.error(line);
        Object r = switch (op) {
            case "+" -> add(a, b, line);
            case "-" -> numeric(a, b, op, line);
            case "*" -> multiply(a, b, line);
            case "/", "//", "%", "**" -> PyOps.isString(a) && op.equals("%") ? Formatting.percent(PyOps.str(a), b, line) : numeric(a, b, op, line);
            default -> null;
        };
        if (r == null) {
            throw new TemplateException(line, "unsupported operand type(s) for " + op + ": '" + PyOps.typeName(a) + "' and '" + PyOps.typeName(b) + "'");
        }
        return r;
    }

    private static Object add(Object a, Object b, int line) {
        if (a instanceof Markup ma) {
            if (!PyOps.isString(b)) return null;
            return new Markup(ma.value() + (b instanceof Markup mb ? mb.value() : PyStr.escapeHtml((String) b)));
        }
        if (b instanceof Markup mb) {
            if (!PyOps.isString(a)) return null;
            return new Markup(PyStr.escapeHtml((String) a) + mb.value());
        }
        if (a instanceof String sa) return b instanceof String sb ? sa + sb : null;
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            if ((a instanceof PyTuple) != (b instanceof PyTuple) || a instanceof PyView || b instanceof PyView) return null;
            List<Object> out = new ArrayList<>(la);
            out.addAll(lb);
            return a instanceof PyTuple ? new PyTuple(out) : out;
        }
        if (PyOps.isNumber(a) && PyOps.isNumber(b)) return numericNoCheck(a, b, "+", line);
        return null;
    }

    private static Object multiply(Object a, Object b, int line) {
        if (a instanceof PyView || b instanceof PyView) return null;
        boolean intA = PyOps.isInt(a) || a instanceof Boolean, intB = PyOps.isInt(b) || b instanceof Boolean;
        if ((PyOps.isString(a) || a instanceof List) && intB || intA && (PyOps.isString(b) || b instanceof List)) {
            boolean seqFirst = PyOps.isString(a) || a instanceof List;
            Object seq = seqFirst ? a : b;
            long n = Math.max(0, PyOps.toLong(seqFirst ? b : a));
            if (n > CallArgs.MAX_SIZE || n * PyOps.len(seq, line) > 10L * CallArgs.MAX_SIZE) throw new TemplateException(line, "repetition result too large");
            if (seq instanceof String s) return s.repeat((int) n);
            if (seq instanceof Markup m) return new Markup(m.value().repeat((int) n));
            List<Object> out = new ArrayList<>();
            for (long i = 0; i < n; i++) out.addAll((List<?>) seq);
            return seq instanceof PyTuple ? new PyTuple(out) : out;
        }
        if (PyOps.isNumber(a) && PyOps.isNumber(b)) return numericNoCheck(a, b, "*", line);
        return null;
    }

    private static Object numeric(Object a, Object b, String op, int line) {
        if (!PyOps.isNumber(a) || !PyOps.isNumber(b)) return null;
        boolean floats = PyOps.isFloat(a) || PyOps.isFloat(b);
        if (op.equals("/") || op.equals("//") || op.equals("%")) {
            if (floats ? PyOps.toDouble(b) == 0.0 : PyOps.toLong(b) == 0) {
                throw new TemplateException(line, op.equals("/") ? "division by zero" : "integer division or modulo by zero");
            }
        }
        if (op.equals("**") && !floats && PyOps.toLong(b) < 0) return Math.pow(PyOps.toDouble(a), PyOps.toDouble(b));
        return numericNoCheck(a, b, op, line);
    }

    private static Object numericNoCheck(Object a, Object b, String op, int line) {
        if (PyOps.isFloat(a) || PyOps.isFloat(b) || op.equals("/")) {
            double x = PyOps.toDouble(a), y = PyOps.toDouble(b);
            return switch (op) {
                case "+" -> x + y;
                case "-" -> x - y;
                case "*" -> x * y;
                case "/" -> x / y;
                case "//" -> Math.floor(x / y);
                case "%" -> {
                    double m = x % y;
                    yield (m != 0 && ((m < 0) != (y < 0))) ? m + y : m;
                }
                case "**" -> Math.pow(x, y);
                default -> throw new IllegalStateException(op);
            };
        }
        long x = PyOps.toLong(a), y = PyOps.toLong(b);
        try {
            return switch (op) {
                case "+" -> Math.addExact(x, y);
                case "-" -> Math.subtractExact(x, y);
                case "*" -> Math.multiplyExact(x, y);
                case "//" -> Math.floorDiv(x, y);
                case "%" -> Math.floorMod(x, y);
                case "**" -> power(x, y);
                default -> throw new IllegalStateException(op);
            };
        } catch (ArithmeticException overflow) {
            throw new TemplateException(line, "integer overflow (vera4j integers are 64-bit) in " + x + " " + op + " " + y);
        }
    }

    /** x**y for y >= 0 by repeated squaring; overflow is an error. */
    private static long power(long x, long y) {
        if (x == 0 || x == 1) return y == 0 ? 1 : x;
        if (x == -1) return (y & 1) == 0 ? 1 : -1;
        long result = 1, base = x;
        while (y > 0) {
            if ((y & 1) == 1) result = Math.multiplyExact(result, base);
            y >>= 1;
            if (y > 0) base = Math.multiplyExact(base, base);
        }
        return result;
    }

    static Object negate(Object v, String op, int line) {
        if (v instanceof Undefined u) throw u.error(line);
        if (PyOps.isFloat(v)) return op.equals("-") ? -PyOps.toDouble(v) : PyOps.toDouble(v);
        if (PyOps.isNumber(v)) return op.equals("-") ? -PyOps.toLong(v) : PyOps.toLong(v);
        throw new TemplateException(line, "bad operand type for unary " + op + ": '" + PyOps.typeName(v) + "'");
    }
}
