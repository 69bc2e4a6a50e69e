package dev.vera4j.engine.template;

import java.util.List;
import java.util.Map;

/** jinja2's built-in tests ({@code x is defined}, {@code x is string}, {@code x is equalto y}, ...). */
final class Tests {
    private Tests() {}

    static boolean apply(String name, Object v, List<Object> args, Map<String, Object> kwargs, int line) {
        return switch (name) {
            case "defined" -> !(v instanceof Undefined);
            case "undefined" -> v instanceof Undefined;
            case "none" -> v == null;
            case "boolean" -> v instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "integer" -> PyOps.isInt(v);
            case "float" -> v instanceof Double || v instanceof Float;
            case "number" -> PyOps.isNumber(v);
            case "string" -> PyOps.isString(v);
            case "mapping" -> v instanceof Map;
            case "iterable" -> PyOps.isIterable(v);
            case "sequence" -> (v instanceof List && !(v instanceof PyView)) || v instanceof Map || PyOps.isString(v);
            case "callable" -> v instanceof PyCallable;
            case "escaped" -> v instanceof Markup;
            case "lower" -> PyOps.isString(v) && PyOps.str(v).equals(PyStr.lower(PyOps.str(v)));
            case "upper" -> PyOps.isString(v) && PyOps.str(v).equals(PyStr.upper(PyOps.str(v)));
            case "odd", "even" -> {
                if (!PyOps.isNumber(v)) throw new TemplateException(line, "test '" + name + "' needs a number");
                long x = ((Number) (v instanceof Boolean b ? (b ? 1L : 0L) : v)).longValue();
                yield name.equals("odd") == (Math.floorMod(x, 2) == 1);
            }
            case "divisibleby" -> {
                Object d = arg(name, args, kwargs, "num", line);
                Object r = PyArith.binary("%", v, d, line);
                yield PyOps.eq(r, 0L);
            }
            case "eq", "equalto", "==" -> PyOps.eq(v, arg(name, args, kwargs, "other", line));
            case "ne", "!=" -> !PyOps.eq(v, arg(name, args, kwargs, "other", line));
            case "lt", "lessthan", "<" -> PyOps.compare(v, arg(name, args, kwargs, "other", line), "<", line) < 0;
            case "le", "<=" -> PyOps.compare(v, arg(name, args, kwargs, "other", line), "<=", line) <= 0;
            case "gt", "greaterthan", ">" -> PyOps.compare(v, arg(name, args, kwargs, "other", line), ">", line) > 0;
            case "ge", ">=" -> PyOps.compare(v, arg(name, args, kwargs, "other", line), ">=", line) >= 0;
            case "in" -> PyOps.contains(arg(name, args, kwargs, "seq", line), v, line);
            case "sameas" -> {
                Object o = arg(name, args, kwargs, "other", line);
                yield v == o || (v instanceof Boolean && v.equals(o));
            }
            case "filter" -> Filters.exists(PyOps.str(v));
            case "test" -> exists(PyOps.str(v));
            default -> throw new TemplateException(line, "no test named '" + name + "'");
        };
    }

    static boolean exists(String name) {
        return switch (name) {
            case "defined", "undefined", "none", "boolean", "true", "false", "integer", "float", "number", "string",
                 "mapping", "iterable", "sequence", "callable", "escaped", "lower", "upper", "odd", "even", "divisibleby",
                 "eq", "equalto", "==", "ne", "!=", "lt", "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=",
                 "in", "sameas", "filter", "test" -> true;
            default -> false;
        };
    }

    private static Object arg(String test, List<Object> args, Map<String, Object> kwargs, String name, int line) {
        return new CallArgs("test " + test, args, kwargs, line, name).require(name);
    }
}
