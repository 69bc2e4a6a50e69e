package dev.vera4j.engine.template;

import java.util.List;

/** Expression nodes of the template AST; {@code line} is where the expression starts, for error messages. */
sealed interface Expr {
    int line();

    record Const(Object value, int line) implements Expr { }

    record Name(String name, int line) implements Expr { }

    record ListLit(List<Expr> items, int line) implements Expr { }

    record TupleLit(List<Expr> items, int line) implements Expr { }

    record DictLit(List<Expr> keys, List<Expr> values, int line) implements Expr { }

    record GetAttr(Expr target, String name, int line) implements Expr { }

    record GetItem(Expr target, Expr key, int line) implements Expr { }

    /** {@code [start:stop:step]} as a subscript; absent parts are null. */
    record Slice(Expr start, Expr stop, Expr step, int line) implements Expr { }

    /** Call arguments: positional, keyword (names and values in order), {@code *args}, {@code **kwargs}. */
    record Args(List<Expr> positional, List<String> names, List<Expr> values, Expr star, Expr starStar) {
        static final Args NONE = new Args(List.of(), List.of(), List.of(), null, null);
    }

    record Call(Expr target, Args args, int line) implements Expr { }

    /** {@code value|name(args)}; value is null inside {@code {% filter %}} blocks and block sets. */
    record Filter(Expr value, String name, Args args, int line) implements Expr { }

    record Test(Expr value, String name, Args args, int line) implements Expr { }

    record Unary(String op, Expr operand, int line) implements Expr { }

    record Not(Expr operand, int line) implements Expr { }

    record Binary(String op, Expr left, Expr right, int line) implements Expr { }

    record And(Expr left, Expr right, int line) implements Expr { }

    record Or(Expr left, Expr right, int line) implements Expr { }

    /** A comparison chain {@code a < b <= c}; ops are {@code == != < <= > >= in notin}. */
    record Compare(Expr first, List<String> ops, List<Expr> rest, int line) implements Expr { }

    /** {@code then if test else otherwise}; otherwise may be null (then the result is undefined). */
    record Cond(Expr test, Expr then, Expr otherwise, int line) implements Expr { }
}
