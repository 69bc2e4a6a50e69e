package dev.vera4j.engine.template;

import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** Walks the AST of one template with jinja2 semantics (scoping, undefined handling, loops, macros). */
final class Interpreter {
    private static final int MAX_CALL_DEPTH = 256;
    private static final long MAX_RANGE = 100_000;
    /** Loop iterations plus macro calls one render may take; real chat templates need a few thousand. */
    static final long MAX_STEPS = 2_000_000;
    /** Characters one render may produce (in any single output buffer). */
    static final int MAX_OUTPUT = 16 << 20;

    private final Supplier<LocalDateTime> now;
    private int callDepth;
    private long steps;

    Interpreter(Supplier<LocalDateTime> now) { this.now = now; }

    private static final class BreakSignal extends RuntimeException {
        BreakSignal() { super(null, null, false, false); }
    }

    private static final class ContinueSignal extends RuntimeException {
        ContinueSignal() { super(null, null, false, false); }
    }

    String render(List<Node> body, Map<String, ?> variables) {
        Scope globals = new Scope(null);
        installGlobals(globals);
        Scope root = new Scope(globals);
        variables.forEach((k, v) -> root.set(k, PyOps.fromJava(v)));
        StringBuilder out = new StringBuilder();
        try {
            run(body, root, out, 0);
        } catch (BreakSignal | ContinueSignal e) {
            throw new TemplateException(0, "'break' or 'continue' outside of a loop");
        } catch (StackOverflowError e) {
            throw new TemplateException(0, "template nesting too deep");
        }
        return out.toString();
    }

    private void installGlobals(Scope g) {
        g.set("range", (PyCallable) this::range);
        g.set("namespace", (PyCallable) (args, kwargs, line) -> {
            Namespace ns = new Namespace();
            for (Object a : args) {
                if (!(a instanceof Map<?, ?> m)) throw new TemplateException(line, "namespace() positional argument must be a mapping");
                m.forEach((k, v) -> ns.attributes.put(PyOps.str(k), v));
            }
            ns.attributes.putAll(kwargs);
            return ns;
        });
        g.set("dict", (PyCallable) (args, kwargs, line) -> {
            Map<Object, Object> d = new LinkedHashMap<>();
            if (args.size() > 1) throw new TemplateException(line, "dict expected at most 1 argument, got " + args.size());
            if (!args.isEmpty()) {
                if (!(args.getFirst() instanceof Map<?, ?> m)) throw new TemplateException(line, "dict() argument must be a mapping");
                d.putAll(m);
            }
            d.putAll(kwargs);
            return d;
        });
        g.set("raise_exception", (PyCallable) (args, kwargs, line) -> {
            throw new TemplateRaisedException(line, args.isEmpty() ? "" : PyOps.str(args.getFirst()));
        });
        g.set("strftime_now", (PyCallable) (args, kwargs, line) -> {
            String fmt = new CallArgs("strftime_now", args, kwargs, line, "format").string("format", null);
            if (fmt == null) throw new TemplateException(line, "strftime_now() missing required argument 'format'");
            return StrFTime.format(now.get(), fmt);
        });
    }

    private Object range(List<Object> args, Map<String, Object> kwargs, int line) {
        if (!kwargs.isEmpty() || args.isEmpty() || args.size() > 3) throw new TemplateException(line, "range expects 1 to 3 integer arguments");
        long[] v = new long[args.size()];
        for (int i = 0; i < v.length; i++) {
            Object a = args.get(i);
            if (!PyOps.isInt(a) && !(a instanceof Boolean)) throw new TemplateException(line, "'" + PyOps.typeName(a) + "' object cannot be interpreted as an integer");
            v[i] = a instanceof Boolean b ? (b ? 1 : 0) : ((Number) a).longValue();
        }
        long start = v.length == 1 ? 0 : v[0], stop = v.length == 1 ? v[0] : v[1], step = v.length == 3 ? v[2] : 1;
        if (step == 0) throw new TemplateException(line, "range() arg 3 must not be zero");
        long count;
        try {
            long span = step > 0 ? Math.subtractExact(stop, start) : Math.subtractExact(start, stop);
            long s = Math.abs(step);
            count = span <= 0 ? 0 : Math.addExact(span, s - 1) / s;
        } catch (ArithmeticException e) {
            count = Long.MAX_VALUE;
        }
        if (count > MAX_RANGE) throw new TemplateException(line, "range too big, maximum size for range is " + MAX_RANGE);
        List<Object> out = new ArrayList<>((int) count);
        for (long i = 0, x = start; i < count; i++, x += step) out.add(x);
        return out;
    }

    // ---- statements

    private void run(List<Node> body, Scope scope, StringBuilder out, int loopDepth) {
        for (Node n : body) exec(n, scope, out, loopDepth);
    }

    private void exec(Node node, Scope scope, StringBuilder out, int loopDepth) {
        switch (node) {
            case Node.Output o -> append(out, o.text());
            case Node.Print p -> append(out, PyOps.str(eval(p.expr(), scope)));
            case Node.If i -> {
                for (int k = 0; k < i.tests().size(); k++) {
                    if (PyOps.truthy(eval(i.tests().get(k), scope))) {
                        run(i.bodies().get(k), scope, out, loopDepth);
                        return;
                    }
                }
                run(i.otherwise(), scope, out, loopDepth);
            }
            case Node.For f -> loop(f, eval(f.iter(), scope), scope, out, loopDepth, 0);
            case Node.Set s -> assign(s.target(), eval(s.value(), scope), scope, s.line());
            case Node.SetBlock s -> {
                StringBuilder sb = new StringBuilder();
                run(s.body(), scope, sb, loopDepth);
                Object value = s.filter() == null ? sb.toString() : applyFilterChain(s.filter(), sb.toString(), scope);
                assign(s.target(), value, scope, s.line());
            }
            case Node.Macro m -> scope.set(m.name(), macro(m.name(), m.params(), m.defaults(), m.body(), m.uses(), scope));
            case Node.CallBlock c -> {
                PyCallable caller = macro("caller", c.params(), c.defaults(), c.body(), c.uses(), scope);
                Expr.Call call = c.call();
                Object fn = eval(call.target(), scope);
                List<Object> args = new ArrayList<>();
                Map<String, Object> kwargs = new LinkedHashMap<>();
                evalArgs(call.args(), scope, args, kwargs, call.line());
                kwargs.put("caller", caller);
                append(out, PyOps.str(invoke(fn, args, kwargs, c.line())));
            }
            case Node.FilterBlock fb -> {
                StringBuilder sb = new StringBuilder();
                run(fb.body(), scope, sb, loopDepth);
                append(out, PyOps.str(applyFilterChain(fb.filter(), sb.toString(), scope)));
            }
            case Node.With w -> {
                Scope inner = new Scope(scope);
                for (int k = 0; k < w.targets().size(); k++) assign(w.targets().get(k), eval(w.values().get(k), scope), inner, w.line());
                run(w.body(), inner, out, loopDepth);
            }
            case Node.Scope s -> run(s.body(), scope, out, loopDepth);
            case Node.Break b -> {
                if (loopDepth == 0) throw new TemplateException(b.line(), "'break' outside of a loop");
                throw new BreakSignal();
            }
            case Node.Continue c -> {
                if (loopDepth == 0) throw new TemplateException(c.line(), "'continue' outside of a loop");
                throw new ContinueSignal();
            }
        }
    }

    private static void append(StringBuilder out, String s) {
        if (out.length() + (long) s.length() > MAX_OUTPUT) throw new TemplateException(0, "template output exceeds " + MAX_OUTPUT + " characters");
        out.append(s);
    }

    private void step(int line) {
        if (++steps > MAX_STEPS) throw new TemplateException(line, "template ran more than " + MAX_STEPS + " loop iterations and macro calls");
    }

    /** {@code recursion} counts {@code loop(...)} calls of a recursive for; it is what {@code loop.depth0} reports. */
    private void loop(Node.For f, Object iterable, Scope scope, StringBuilder out, int loopDepth, int recursion) {
        if (iterable == null || !(PyOps.isIterable(iterable))) {
            throw new TemplateException(f.line(), "'" + PyOps.typeName(iterable) + "' object is not iterable");
        }
        List<Object> items = new ArrayList<>();
        Iterator<Object> it = PyOps.iterate(iterable, f.line());
        while (it.hasNext()) {
            Object item = it.next();
            if (f.filter() != null) {
                Scope test = new Scope(scope);
                assign(f.target(), item, test, f.line());
                if (!PyOps.truthy(eval(f.filter(), test))) continue;
            }
            items.add(item);
        }
        if (items.isEmpty()) {
            run(f.otherwise(), scope, out, loopDepth);
            return;
        }
        LoopContext ctx = new LoopContext(items, recursion);
        PyCallable recurse = f.recursive() ? (args, kwargs, line) -> {
            if (args.size() != 1) throw new TemplateException(line, "loop() takes exactly one argument");
            StringBuilder sb = new StringBuilder();
            loop(f, args.getFirst(), scope, sb, loopDepth + 1, recursion + 1);
            return sb.toString();
        } : null;
        for (int i = 0; i < items.size(); i++) {
            step(f.line());
            ctx.index0 = i;
            Scope iter = new Scope(scope);
            assign(f.target(), items.get(i), iter, f.line());
            iter.set("loop", recurse == null ? ctx : new RecursiveLoop(ctx, recurse));
            try {
                run(f.body(), iter, out, loopDepth + 1);
            } catch (ContinueSignal c) {
                // next iteration
            } catch (BreakSignal b) {
                break;
            }
        }
    }

    /** {@code loop} of a recursive for: its attributes plus {@code loop(children)}. */
    private record RecursiveLoop(LoopContext ctx, PyCallable recurse) { }

    private void assign(Node.Target target, Object value, Scope scope, int line) {
        switch (target) {
            case Node.Target.Name n -> scope.set(n.name(), value);
            case Node.Target.Attr a -> {
                Object obj = scope.lookup(a.object());
                if (!(obj instanceof Namespace ns)) throw new TemplateException(line, "cannot assign attribute on non-namespace object '" + a.object() + "'");
                ns.attributes.put(a.attribute(), value);
            }
            case Node.Target.Tuple t -> {
                List<Object> values = PyOps.toList(value, line);
                if (values.size() != t.items().size()) {
                    throw new TemplateException(line, (values.size() > t.items().size() ? "too many values to unpack (expected " : "not enough values to unpack (expected ")
                            + t.items().size() + ", got " + values.size() + ")");
                }
                for (int i = 0; i < values.size(); i++) assign(t.items().get(i), values.get(i), scope, line);
            }
        }
    }

    private PyCallable macro(String name, List<String> params, List<Expr> defaults, List<Node> body, Node.MacroUses uses, Scope defining) {
        return (args, kwargs, line) -> {
            Scope s = new Scope(defining);
            List<Object> varargs = new ArrayList<>();
            Map<Object, Object> extraKw = new LinkedHashMap<>();
            for (int i = 0; i < args.size(); i++) {
                if (i < params.size()) s.set(params.get(i), args.get(i));
                else varargs.add(args.get(i));
            }
            if (!varargs.isEmpty() && !uses.varargs()) {
                throw new TemplateException(line, "macro '" + name + "' takes not more than " + params.size() + " argument(s)");
            }
            for (var e : kwargs.entrySet()) {
                int idx = params.indexOf(e.getKey());
                if (idx >= 0 && idx < args.size()) throw new TemplateException(line, "macro '" + name + "' got multiple values for argument '" + e.getKey() + "'");
                if (e.getKey().equals("caller") && !uses.caller()) {
                    throw new TemplateException(line, "macro '" + name + "' was invoked with a caller block but does not use caller()");
                }
                if (idx >= 0 || e.getKey().equals("caller")) s.set(e.getKey(), e.getValue());
                else if (uses.kwargs()) extraKw.put(e.getKey(), e.getValue());
                else throw new TemplateException(line, "macro '" + name + "' takes no keyword argument '" + e.getKey() + "'");
            }
            for (int i = args.size(); i < params.size(); i++) {
                if (kwargs.containsKey(params.get(i))) continue;
                Expr d = defaults.get(i);
                s.set(params.get(i), d == null ? new Undefined("parameter '" + params.get(i) + "' was not provided") : eval(d, s));
            }
            s.set("varargs", new PyTuple(varargs));
            s.set("kwargs", extraKw);
            step(line);
            if (++callDepth > MAX_CALL_DEPTH) {
                callDepth--;
                throw new TemplateException(line, "macro calls nested deeper than " + MAX_CALL_DEPTH + " (infinite recursion?)");
            }
            try {
                StringBuilder sb = new StringBuilder();
                run(body, s, sb, 0);
                return sb.toString();
            } finally {
                callDepth--;
            }
        };
    }

    // ---- expressions

    Object eval(Expr e, Scope scope) {
        return switch (e) {
            case Expr.Const c -> c.value();
            case Expr.Name n -> scope.lookup(n.name());
            case Expr.ListLit l -> {
                List<Object> out = new ArrayList<>(l.items().size());
                for (Expr x : l.items()) out.add(eval(x, scope));
                yield out;
            }
            case Expr.TupleLit t -> {
                List<Object> out = new ArrayList<>(t.items().size());
                for (Expr x : t.items()) out.add(eval(x, scope));
                yield new PyTuple(out);
            }
            case Expr.DictLit d -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                for (int i = 0; i < d.keys().size(); i++) {
                    Object k = eval(d.keys().get(i), scope);
                    if (k instanceof Markup m) k = m.value();
                    if (k instanceof List && !(k instanceof PyTuple) || k instanceof Map) throw new TemplateException(d.line(), "unhashable type: '" + PyOps.typeName(k) + "'");
                    Object existing = PyOps.findKey(out, k);
                    out.put(existing == PyOps.NO_KEY ? k : existing, eval(d.values().get(i), scope));
                }
                yield out;
            }
            case Expr.GetAttr g -> {
                Object target = eval(g.target(), scope);
                if (target instanceof RecursiveLoop r) yield r.ctx().attribute(g.name());
                yield PyAccess.getAttr(target, g.name(), g.line());
            }
            case Expr.GetItem g -> {
                Object target = eval(g.target(), scope);
                if (target instanceof RecursiveLoop r) target = r.ctx();
                if (g.key() instanceof Expr.Slice s) {
                    if (target instanceof Undefined u) throw u.error(g.line());
                    yield PyAccess.slice(target, evalOpt(s.start(), scope), evalOpt(s.stop(), scope), evalOpt(s.step(), scope), g.line());
                }
                yield PyAccess.getItem(target, eval(g.key(), scope), g.line());
            }
            case Expr.Slice s -> throw new TemplateException(s.line(), "slice outside of a subscript");
            case Expr.Call c -> {
                Object fn = eval(c.target(), scope);
                List<Object> args = new ArrayList<>();
                Map<String, Object> kwargs = new LinkedHashMap<>();
                evalArgs(c.args(), scope, args, kwargs, c.line());
                yield invoke(fn, args, kwargs, c.line());
            }
            case Expr.Filter f -> applyFilter(f, f.value() == null ? null : eval(f.value(), scope), scope);
            case Expr.Test t -> {
                Object v = eval(t.value(), scope);
                List<Object> args = new ArrayList<>();
                Map<String, Object> kwargs = new LinkedHashMap<>();
                evalArgs(t.args(), scope, args, kwargs, t.line());
                yield Tests.apply(t.name(), v, args, kwargs, t.line());
            }
            case Expr.Unary u -> PyArith.negate(eval(u.operand(), scope), u.op(), u.line());
            case Expr.Not n -> !PyOps.truthy(eval(n.operand(), scope));
            case Expr.Binary b -> PyArith.binary(b.op(), eval(b.left(), scope), eval(b.right(), scope), b.line());
            case Expr.And a -> {
                Object l = eval(a.left(), scope);
                yield PyOps.truthy(l) ? eval(a.right(), scope) : l;
            }
            case Expr.Or o -> {
                Object l = eval(o.left(), scope);
                yield PyOps.truthy(l) ? l : eval(o.right(), scope);
            }
            case Expr.Compare c -> compare(c, scope);
            case Expr.Cond c -> {
                if (PyOps.truthy(eval(c.test(), scope))) yield eval(c.then(), scope);
                yield c.otherwise() == null
                        ? new Undefined("the inline if-expression on line " + c.line() + " evaluated to false and no else section was defined.")
                        : eval(c.otherwise(), scope);
            }
        };
    }

    private Object evalOpt(Expr e, Scope scope) { return e == null ? null : eval(e, scope); }

    private Object compare(Expr.Compare c, Scope scope) {
        Object left = eval(c.first(), scope);
        for (int i = 0; i < c.ops().size(); i++) {
            Object right = eval(c.rest().get(i), scope);
            String op = c.ops().get(i);
            boolean ok = switch (op) {
                case "==" -> PyOps.eq(left, right);
                case "!=" -> !PyOps.eq(left, right);
                case "in" -> PyOps.contains(right, left, c.line());
                case "notin" -> !PyOps.contains(right, left, c.line());
                default -> {
                    int r = PyOps.compare(left, right, op, c.line());
                    yield switch (op) { case "<" -> r < 0; case "<=" -> r <= 0; case ">" -> r > 0; default -> r >= 0; };
                }
            };
            if (!ok) return false;
            left = right;
        }
        return true;
    }

    private void evalArgs(Expr.Args a, Scope scope, List<Object> args, Map<String, Object> kwargs, int line) {
        for (Expr x : a.positional()) args.add(eval(x, scope));
        if (a.star() != null) args.addAll(PyOps.toList(eval(a.star(), scope), line));
        for (int i = 0; i < a.names().size(); i++) kwargs.put(a.names().get(i), eval(a.values().get(i), scope));
        if (a.starStar() != null) {
            Object m = eval(a.starStar(), scope);
            if (!(m instanceof Map<?, ?> map)) throw new TemplateException(line, "argument after ** must be a mapping, not " + PyOps.typeName(m));
            map.forEach((k, v) -> kwargs.put(PyOps.str(k), v));
        }
    }

    private Object invoke(Object fn, List<Object> args, Map<String, Object> kwargs, int line) {
        if (fn instanceof PyCallable c) return c.call(args, kwargs, line);
        if (fn instanceof RecursiveLoop r) return r.recurse().call(args, kwargs, line);
        if (fn instanceof Undefined u) throw u.error(line);
        throw new TemplateException(line, "'" + PyOps.typeName(fn) + "' object is not callable");
    }

    private Object applyFilter(Expr.Filter f, Object value, Scope scope) {
        List<Object> args = new ArrayList<>();
        Map<String, Object> kwargs = new LinkedHashMap<>();
        evalArgs(f.args(), scope, args, kwargs, f.line());
        return Filters.apply(f.name(), value, args, kwargs, f.line());
    }

    /** Applies a filter chain whose innermost value is the rendered block body. */
    private Object applyFilterChain(Expr chain, Object body, Scope scope) {
        if (!(chain instanceof Expr.Filter f)) return eval(chain, scope);
        Object inner = f.value() == null ? body : applyFilterChain(f.value(), body, scope);
        return applyFilter(f, inner, scope);
    }
}
