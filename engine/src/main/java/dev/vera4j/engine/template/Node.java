package dev.vera4j.engine.template;

import java.util.List;

/** Statement nodes of the template AST. */
sealed interface Node {
    /** Literal template text. */
    record Output(String text) implements Node { }

    /** {@code {{ expr }}}. */
    record Print(Expr expr) implements Node { }

    /** if / elif... / else: {@code tests.get(i)} guards {@code bodies.get(i)}. */
    record If(List<Expr> tests, List<List<Node>> bodies, List<Node> otherwise) implements Node { }

    record For(Target target, Expr iter, Expr filter, boolean recursive, List<Node> body, List<Node> otherwise, int line) implements Node { }

    record Set(Target target, Expr value, int line) implements Node { }

    /** {@code {% set x | filters %}body{% endset %}}; filters is a chain whose innermost value is null (the body). */
    record SetBlock(Target target, Expr filter, List<Node> body, int line) implements Node { }

    /** A macro definition; {@code uses} says which of varargs/kwargs/caller its body reads (jinja2 rejects extras otherwise). */
    record Macro(String name, List<String> params, List<Expr> defaults, List<Node> body, MacroUses uses, int line) implements Node { }

    /** {@code {% call(params) target(args) %}body{% endcall %}}. */
    record CallBlock(Expr.Call call, List<String> params, List<Expr> defaults, List<Node> body, MacroUses uses, int line) implements Node { }

    /** Which special names a macro body refers to. */
    record MacroUses(boolean varargs, boolean kwargs, boolean caller) {
        static MacroUses of(java.util.Set<String> names) {
            return new MacroUses(names.contains("varargs"), names.contains("kwargs"), names.contains("caller"));
        }
    }

    /** {@code {% filter chain %}body{% endfilter %}}; chain's innermost value is null (the body). */
    record FilterBlock(Expr filter, List<Node> body, int line) implements Node { }

    record With(List<Target> targets, List<Expr> values, List<Node> body, int line) implements Node { }

    /** Bodies rendered in place: {@code {% block %}} (no inheritance here) and HF's {@code {% generation %}}. */
    record Scope(List<Node> body) implements Node { }

    record Break(int line) implements Node { }

    record Continue(int line) implements Node { }

    /** Assignment targets: a name, a tuple to unpack, or a namespace attribute. */
    sealed interface Target {
        record Name(String name) implements Target { }

        record Tuple(List<Target> items) implements Target { }

        record Attr(String object, String attribute) implements Target { }
    }
}
