package dev.vera4j.engine.template;

import dev.vera4j.engine.template.Token.Type;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Recursive-descent parser from tokens to {@link Node}s, following jinja2's grammar and operator precedence. */
final class Parser {
    private static final Set<String> COMPARE_OPS = Set.of("==", "!=", "<", "<=", ">", ">=");
    /** Deepest nesting of blocks and sub-expressions accepted, so hostile templates cannot overflow the stack. */
    static final int MAX_NESTING = 256;

    private final List<Token> tokens;
    private int pos;
    /**
     * Above zero inside if tests/bodies and inline ifs, where jinja2 defers "no filter/test named x" to render
     * time; elsewhere an unknown name fails at parse time, as in jinja2's compiler.
     */
    private int soft;
    private int nesting;
    /** Names read inside each macro body being parsed (innermost last), to know whether it uses varargs/kwargs/caller. */
    private final java.util.ArrayDeque<java.util.Set<String>> macroNames = new java.util.ArrayDeque<>();
    /** Unknown filter/test names met outside soft regions, reported once the whole template is parsed. */
    private final List<TemplateException> unknownNames = new ArrayList<>();

    private Parser(List<Token> tokens) { this.tokens = tokens; }

    static List<Node> parse(String source) {
        Parser p = new Parser(Lexer.tokenize(source));
        List<Node> body;
        try {
            body = p.subparse(Set.of());
        } catch (StackOverflowError e) {
            throw new TemplateException(p.cur().line(), "template nested too deeply");
        }
        if (p.cur().type() != Type.EOF) throw p.fail("unexpected " + p.cur());
        if (!p.unknownNames.isEmpty()) throw p.unknownNames.getFirst();
        return body;
    }

    // ---- token helpers

    private Token cur() { return tokens.get(pos); }

    private Token look() { return tokens.get(Math.min(pos + 1, tokens.size() - 1)); }

    private Token next() {
        Token t = tokens.get(pos);
        if (pos < tokens.size() - 1) pos++;
        return t;
    }

    private boolean skipOp(String op) {
        if (cur().isOp(op)) { pos++; return true; }
        return false;
    }

    private boolean skipName(String name) {
        if (cur().isName(name)) { pos++; return true; }
        return false;
    }

    private Token expect(Type type) {
        if (cur().type() != type) throw fail("expected " + describe(type) + ", got " + cur());
        return next();
    }

    private void expectOp(String op) {
        if (!cur().isOp(op)) throw fail("expected '" + op + "', got " + cur());
        next();
    }

    private void expectName(String name) {
        if (!cur().isName(name)) throw fail("expected '" + name + "', got " + cur());
        next();
    }

    private static String describe(Type t) {
        return switch (t) {
            case BLOCK_END -> "end of statement block '%}'";
            case VARIABLE_END -> "end of print statement '}}'";
            case NAME -> "a name";
            default -> t.name().toLowerCase();
        };
    }

    private TemplateException fail(String message) { return new TemplateException(cur().line(), message); }

    // ---- statements

    private List<Node> subparse(Set<String> endTokens) {
        List<Node> body = new ArrayList<>();
        while (cur().type() != Type.EOF) {
            Token t = cur();
            switch (t.type()) {
                case DATA -> { next(); body.add(new Node.Output(t.value())); }
                case VARIABLE_BEGIN -> {
                    next();
                    body.add(new Node.Print(parseTuple(false, true, Set.of(), false)));
                    expect(Type.VARIABLE_END);
                }
                case BLOCK_BEGIN -> {
                    next();
                    if (cur().type() == Type.NAME && endTokens.contains(cur().value())) return body;
                    body.add(parseStatement());
                }
                default -> throw fail("unexpected " + t);
            }
        }
        if (!endTokens.isEmpty()) {
            throw fail("unexpected end of template, expected one of " + endTokens.stream().sorted().map(s -> "'" + s + "'").toList());
        }
        return body;
    }

    /** Parses a body up to one of endTokens; leaves the end name as the current token. */
    private List<Node> statements(Set<String> endTokens) {
        expect(Type.BLOCK_END);
        return subparse(endTokens);
    }

    /** Consumes {@code endNAME %}}. */
    private void end(String name) {
        expectName(name);
        expect(Type.BLOCK_END);
    }

    private void enter() {
        if (++nesting > MAX_NESTING) throw fail("template nested deeper than " + MAX_NESTING + " levels");
    }

    private Node parseStatement() {
        enter();
        try {
            return parseStatementNested();
        } finally {
            nesting--;
        }
    }

    private Node parseStatementNested() {
        Token t = cur();
        if (t.type() != Type.NAME) throw fail("tag name expected, got " + t);
        return switch (t.value()) {
            case "if" -> parseIf();
            case "for" -> parseFor();
            case "set" -> parseSet();
            case "macro" -> parseMacro();
            case "call" -> parseCallBlock();
            case "filter" -> parseFilterBlock();
            case "with" -> parseWith();
            case "block" -> parseBlock();
            case "generation" -> { next(); List<Node> body = statements(Set.of("endgeneration")); end("endgeneration"); yield new Node.Scope(body); }
            case "print" -> parsePrint();
            case "break" -> { next(); expect(Type.BLOCK_END); yield new Node.Break(t.line()); }
            case "continue" -> { next(); expect(Type.BLOCK_END); yield new Node.Continue(t.line()); }
            default -> throw fail("unknown tag '" + t.value() + "'" + (t.value().startsWith("end") ? " (no block to close here)" : ""));
        };
    }

    private Node parseIf() {
        next();
        soft++;
        try {
            return parseIfSoft();
        } finally {
            soft--;
        }
    }

    private Node parseIfSoft() {
        List<Expr> tests = new ArrayList<>();
        List<List<Node>> bodies = new ArrayList<>();
        List<Node> otherwise = List.of();
        tests.add(parseTuple(false, false, Set.of(), false));
        bodies.add(statements(Set.of("elif", "else", "endif")));
        while (true) {
            String kw = next().value();
            if (kw.equals("elif")) {
                tests.add(parseTuple(false, false, Set.of(), false));
                bodies.add(statements(Set.of("elif", "else", "endif")));
            } else if (kw.equals("else")) {
                otherwise = statements(Set.of("endif"));
                end("endif");
                break;
            } else {
                expect(Type.BLOCK_END);
                break;
            }
        }
        return new Node.If(tests, bodies, otherwise);
    }

    private Node parseFor() {
        int line = next().line();
        Node.Target target = parseAssignTarget(true, false, Set.of("in"));
        expectName("in");
        Expr iter = parseTuple(false, false, Set.of("recursive"), false);
        Expr filter = skipName("if") ? parseExpression(true) : null;
        boolean recursive = skipName("recursive");
        int savedSoft = soft;
        soft = 0;
        try {
            List<Node> body = statements(Set.of("endfor", "else"));
            List<Node> otherwise = List.of();
            if (next().value().equals("else")) {
                otherwise = statements(Set.of("endfor"));
                end("endfor");
            } else {
                expect(Type.BLOCK_END);
            }
            return new Node.For(target, iter, filter, recursive, body, otherwise, line);
        } finally {
            soft = savedSoft;
        }
    }

    private Node parseSet() {
        int line = next().line();
        Node.Target target = parseAssignTarget(true, true, Set.of());
        if (skipOp("=")) {
            Expr value = parseTuple(false, true, Set.of(), false);
            expect(Type.BLOCK_END);
            return new Node.Set(target, value, line);
        }
        Expr filter = cur().isOp("|") ? parseFilter(null, false) : null;
        List<Node> body = statements(Set.of("endset"));
        end("endset");
        return new Node.SetBlock(target, filter, body, line);
    }

    private Node parseMacro() {
        int line = next().line();
        String name = expect(Type.NAME).value();
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        parseSignature(params, defaults);
        int savedSoft = soft;
        soft = 0;
        macroNames.addLast(new java.util.HashSet<>());
        try {
            List<Node> body = statements(Set.of("endmacro"));
            end("endmacro");
            return new Node.Macro(name, params, defaults, body, Node.MacroUses.of(macroNames.getLast()), line);
        } finally {
            soft = savedSoft;
            macroNames.removeLast();
        }
    }

    private void parseSignature(List<String> params, List<Expr> defaults) {
        expectOp("(");
        boolean sawDefault = false;
        while (!cur().isOp(")")) {
            if (!params.isEmpty()) expectOp(",");
            if (cur().isOp(")")) break;
            String p = expect(Type.NAME).value();
            params.add(p);
            if (skipOp("=")) {
                defaults.add(parseExpression(true));
                sawDefault = true;
            } else {
                if (sawDefault) throw fail("non-default argument '" + p + "' follows default argument");
                defaults.add(null);
            }
        }
        expectOp(")");
    }

    private Node parseCallBlock() {
        int line = next().line();
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        if (cur().isOp("(")) parseSignature(params, defaults);
        Expr call = parseExpression(true);
        if (!(call instanceof Expr.Call c)) throw new TemplateException(line, "expected a call after 'call'");
        macroNames.addLast(new java.util.HashSet<>());
        try {
            List<Node> body = statements(Set.of("endcall"));
            end("endcall");
            return new Node.CallBlock(c, params, defaults, body, Node.MacroUses.of(macroNames.getLast()), line);
        } finally {
            macroNames.removeLast();
        }
    }

    private Node parseFilterBlock() {
        int line = next().line();
        Expr filter = parseFilter(null, true);
        List<Node> body = statements(Set.of("endfilter"));
        end("endfilter");
        return new Node.FilterBlock(filter, body, line);
    }

    private Node parseWith() {
        int line = next().line();
        List<Node.Target> targets = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (cur().type() != Type.BLOCK_END) {
            if (!targets.isEmpty()) expectOp(",");
            targets.add(parseAssignTarget(true, false, Set.of()));
            expectOp("=");
            values.add(parseExpression(true));
        }
        List<Node> body = statements(Set.of("endwith"));
        end("endwith");
        return new Node.With(targets, values, body, line);
    }

    private Node parseBlock() {
        next();
        String name = expect(Type.NAME).value();
        while (cur().isName("scoped") || cur().isName("required")) next();
        List<Node> body = statements(Set.of("endblock"));
        expectName("endblock");
        if (cur().type() == Type.NAME) {
            if (!cur().value().equals(name)) throw fail("mismatched endblock: expected '" + name + "', got '" + cur().value() + "'");
            next();
        }
        expect(Type.BLOCK_END);
        return new Node.Scope(body);
    }

    private Node parsePrint() {
        int line = next().line();
        List<Expr> items = new ArrayList<>();
        while (cur().type() != Type.BLOCK_END) {
            if (!items.isEmpty()) expectOp(",");
            items.add(parseExpression(true));
        }
        expect(Type.BLOCK_END);
        return new Node.Print(items.size() == 1 ? items.getFirst() : new Expr.TupleLit(items, line));
    }

    private Node.Target parseAssignTarget(boolean withTuple, boolean withNamespace, Set<String> extraEnd) {
        if (withNamespace && look().isOp(".") && cur().type() == Type.NAME) {
            String obj = next().value();
            next();
            return new Node.Target.Attr(obj, expect(Type.NAME).value());
        }
        Expr e = withTuple ? parseTuple(true, false, extraEnd, false) : parsePrimary();
        return toTarget(e);
    }

    private Node.Target toTarget(Expr e) {
        if (e instanceof Expr.Name n) {
            if (Set.of("true", "false", "none", "True", "False", "None").contains(n.name())) throw new TemplateException(e.line(), "cannot assign to '" + n.name() + "'");
            return new Node.Target.Name(n.name());
        }
        if (e instanceof Expr.TupleLit t) return new Node.Target.Tuple(t.items().stream().map(this::toTarget).toList());
        throw new TemplateException(e.line(), "cannot assign to this expression");
    }

    // ---- expressions

    private boolean isTupleEnd(Set<String> extraEnd) {
        Token t = cur();
        return t.type() == Type.VARIABLE_END || t.type() == Type.BLOCK_END || t.isOp(")")
                || (t.type() == Type.NAME && extraEnd.contains(t.value()));
    }

    private Expr parseTuple(boolean simplified, boolean withCond, Set<String> extraEnd, boolean explicitParens) {
        int line = cur().line();
        List<Expr> items = new ArrayList<>();
        boolean isTuple = false;
        while (true) {
            if (!items.isEmpty()) expectOp(",");
            if (isTupleEnd(extraEnd)) break;
            items.add(simplified ? parsePrimary() : parseExpression(withCond));
            if (cur().isOp(",")) isTuple = true;
            else break;
        }
        if (!isTuple) {
            if (!items.isEmpty()) return items.getFirst();
            if (!explicitParens) throw fail("expected an expression, got " + cur());
        }
        return new Expr.TupleLit(items, line);
    }

    private Expr parseExpression(boolean withCond) {
        enter();
        try {
            return withCond ? parseCondExpr() : parseOr();
        } finally {
            nesting--;
        }
    }

    private Expr parseCondExpr() {
        int unknownBefore = unknownNames.size();
        Expr e = parseOr();
        if (cur().isName("if")) {
            // the whole inline if is soft in jinja2, including its first operand
            while (unknownNames.size() > unknownBefore) unknownNames.removeLast();
            soft++;
            try {
                return parseCondRest(e);
            } finally {
                soft--;
            }
        }
        return e;
    }

    private Expr parseCondRest(Expr e) {
        while (cur().isName("if")) {
            int line = next().line();
            Expr test = parseOr();
            Expr otherwise = skipName("else") ? parseCondExpr() : null;
            e = new Expr.Cond(test, e, otherwise, line);
        }
        return e;
    }

    private Expr parseOr() {
        Expr left = parseAnd();
        while (cur().isName("or")) {
            int line = next().line();
            left = new Expr.Or(left, parseAnd(), line);
        }
        return left;
    }

    private Expr parseAnd() {
        Expr left = parseNot();
        while (cur().isName("and")) {
            int line = next().line();
            left = new Expr.And(left, parseNot(), line);
        }
        return left;
    }

    private Expr parseNot() {
        if (cur().isName("not")) {
            int line = next().line();
            enter();
            try {
                return new Expr.Not(parseNot(), line);
            } finally {
                nesting--;
            }
        }
        return parseCompare();
    }

    private Expr parseCompare() {
        int line = cur().line();
        Expr first = parseMath1();
        List<String> ops = new ArrayList<>();
        List<Expr> rest = new ArrayList<>();
        while (true) {
            Token t = cur();
            if (t.type() == Type.OPERATOR && COMPARE_OPS.contains(t.value())) {
                next();
                ops.add(t.value());
            } else if (t.isName("in")) {
                next();
                ops.add("in");
            } else if (t.isName("not") && look().isName("in")) {
                next();
                next();
                ops.add("notin");
            } else {
                break;
            }
            rest.add(parseMath1());
        }
        return ops.isEmpty() ? first : new Expr.Compare(first, ops, rest, line);
    }

    private Expr parseMath1() {
        Expr left = parseConcat();
        while (cur().isOp("+") || cur().isOp("-")) {
            Token op = next();
            left = new Expr.Binary(op.value(), left, parseConcat(), op.line());
        }
        return left;
    }

    private Expr parseConcat() {
        Expr left = parseMath2();
        while (cur().isOp("~")) {
            Token op = next();
            left = new Expr.Binary("~", left, parseMath2(), op.line());
        }
        return left;
    }

    private Expr parseMath2() {
        Expr left = parsePow();
        while (cur().isOp("*") || cur().isOp("/") || cur().isOp("//") || cur().isOp("%")) {
            Token op = next();
            left = new Expr.Binary(op.value(), left, parsePow(), op.line());
        }
        return left;
    }

    private Expr parsePow() {
        Expr left = parseUnary(true);
        while (cur().isOp("**")) {
            Token op = next();
            left = new Expr.Binary("**", left, parseUnary(true), op.line());
        }
        return left;
    }

    private Expr parseUnary(boolean withFilter) {
        Expr e;
        if (cur().isOp("-") || cur().isOp("+")) {
            Token op = next();
            enter();
            try {
                e = new Expr.Unary(op.value(), parseUnary(false), op.line());
            } finally {
                nesting--;
            }
        } else {
            e = parsePrimary();
        }
        e = parsePostfix(e);
        if (withFilter) e = parseFilterExpr(e);
        return e;
    }

    private Expr parsePrimary() {
        Token t = cur();
        switch (t.type()) {
            case NAME -> {
                next();
                return switch (t.value()) {
                    case "true", "True" -> new Expr.Const(Boolean.TRUE, t.line());
                    case "false", "False" -> new Expr.Const(Boolean.FALSE, t.line());
                    case "none", "None" -> new Expr.Const(null, t.line());
                    default -> {
                        for (java.util.Set<String> names : macroNames) names.add(t.value());
                        yield new Expr.Name(t.value(), t.line());
                    }
                };
            }
            case STRING -> {
                next();
                StringBuilder sb = new StringBuilder(t.value());
                while (cur().type() == Type.STRING) sb.append(next().value());
                return new Expr.Const(sb.toString(), t.line());
            }
            case INTEGER -> {
                next();
                return new Expr.Const(parseInteger(t), t.line());
            }
            case FLOAT -> {
                next();
                return new Expr.Const(Double.parseDouble(t.value()), t.line());
            }
            case OPERATOR -> {
                if (t.isOp("(")) {
                    next();
                    Expr e = parseTuple(false, true, Set.of(), true);
                    expectOp(")");
                    return e;
                }
                if (t.isOp("[")) return parseList();
                if (t.isOp("{")) return parseDict();
            }
            default -> { }
        }
        throw fail("unexpected " + t);
    }

    private Object parseInteger(Token t) {
        String v = t.value().toLowerCase();
        int radix = 10;
        if (v.startsWith("0x")) radix = 16;
        else if (v.startsWith("0o")) radix = 8;
        else if (v.startsWith("0b")) radix = 2;
        BigInteger bi = new BigInteger(radix == 10 ? v : v.substring(2), radix);
        if (bi.bitLength() > 63) throw new TemplateException(t.line(), "integer literal too large: " + t.value());
        return bi.longValue();
    }

    private Expr parseList() {
        int line = next().line();
        List<Expr> items = new ArrayList<>();
        while (!cur().isOp("]")) {
            if (!items.isEmpty()) expectOp(",");
            if (cur().isOp("]")) break;
            items.add(parseExpression(true));
        }
        expectOp("]");
        return new Expr.ListLit(items, line);
    }

    private Expr parseDict() {
        int line = next().line();
        List<Expr> keys = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (!cur().isOp("}")) {
            if (!keys.isEmpty()) expectOp(",");
            if (cur().isOp("}")) break;
            keys.add(parseExpression(true));
            expectOp(":");
            values.add(parseExpression(true));
        }
        expectOp("}");
        return new Expr.DictLit(keys, values, line);
    }

    private Expr parsePostfix(Expr e) {
        while (true) {
            if (cur().isOp(".") || cur().isOp("[")) e = parseSubscript(e);
            else if (cur().isOp("(")) e = new Expr.Call(e, parseCallArgs(), cur().line());
            else return e;
        }
    }

    private Expr parseFilterExpr(Expr e) {
        while (true) {
            if (cur().isOp("|")) e = parseFilter(e, false);
            else if (cur().isName("is")) e = parseTest(e);
            else if (cur().isOp("(")) e = new Expr.Call(e, parseCallArgs(), cur().line());
            else return e;
        }
    }

    private Expr parseSubscript(Expr e) {
        Token t = next();
        if (t.isOp(".")) {
            Token attr = next();
            if (attr.type() == Type.NAME) return new Expr.GetAttr(e, attr.value(), attr.line());
            if (attr.type() != Type.INTEGER) throw new TemplateException(attr.line(), "expected name or number after '.'");
            return new Expr.GetItem(e, new Expr.Const(parseInteger(attr), attr.line()), attr.line());
        }
        List<Expr> args = new ArrayList<>();
        while (!cur().isOp("]")) {
            if (!args.isEmpty()) expectOp(",");
            args.add(parseSubscribed());
        }
        expectOp("]");
        Expr key = args.size() == 1 ? args.getFirst() : new Expr.TupleLit(args, t.line());
        return new Expr.GetItem(e, key, t.line());
    }

    private Expr parseSubscribed() {
        int line = cur().line();
        Expr start = null;
        if (cur().isOp(":")) {
            next();
        } else {
            Expr node = parseExpression(true);
            if (!cur().isOp(":")) return node;
            next();
            start = node;
        }
        Expr stop = null, step = null;
        if (!cur().isOp(":") && !cur().isOp("]") && !cur().isOp(",")) stop = parseExpression(true);
        if (cur().isOp(":")) {
            next();
            if (!cur().isOp("]") && !cur().isOp(",")) step = parseExpression(true);
        }
        return new Expr.Slice(start, stop, step, line);
    }

    private Expr.Args parseCallArgs() {
        expectOp("(");
        List<Expr> positional = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        Expr star = null, starStar = null;
        boolean requireComma = false;
        while (!cur().isOp(")")) {
            if (requireComma) {
                expectOp(",");
                if (cur().isOp(")")) break;
            }
            if (cur().isOp("*")) {
                if (star != null || starStar != null) throw fail("invalid syntax for function call expression");
                next();
                star = parseExpression(true);
            } else if (cur().isOp("**")) {
                if (starStar != null) throw fail("invalid syntax for function call expression");
                next();
                starStar = parseExpression(true);
            } else if (cur().type() == Type.NAME && look().isOp("=")) {
                if (starStar != null) throw fail("invalid syntax for function call expression");
                names.add(next().value());
                next();
                values.add(parseExpression(true));
            } else {
                if (star != null || starStar != null || !names.isEmpty()) throw fail("positional argument follows keyword argument");
                positional.add(parseExpression(true));
            }
            requireComma = true;
        }
        expectOp(")");
        return new Expr.Args(positional, names, values, star, starStar);
    }

    private Expr parseFilter(Expr value, boolean startInline) {
        while (cur().isOp("|") || startInline) {
            if (!startInline) next();
            startInline = false;
            Token nameTok = expect(Type.NAME);
            StringBuilder name = new StringBuilder(nameTok.value());
            while (cur().isOp(".")) {
                next();
                name.append('.').append(expect(Type.NAME).value());
            }
            if (soft == 0 && !Filters.exists(name.toString())) unknownNames.add(new TemplateException(nameTok.line(), "no filter named '" + name + "'"));
            Expr.Args args = cur().isOp("(") ? parseCallArgs() : Expr.Args.NONE;
            value = new Expr.Filter(value, name.toString(), args, nameTok.line());
        }
        return value;
    }

    private Expr parseTest(Expr value) {
        int line = next().line(); // 'is'
        boolean negated = skipName("not");
        StringBuilder name = new StringBuilder(expect(Type.NAME).value());
        while (cur().isOp(".")) {
            next();
            name.append('.').append(expect(Type.NAME).value());
        }
        if (soft == 0 && !Tests.exists(name.toString())) unknownNames.add(new TemplateException(line, "no test named '" + name + "'"));
        Expr.Args args;
        Token t = cur();
        if (t.isOp("(")) {
            args = parseCallArgs();
        } else if ((t.type() == Type.NAME || t.type() == Type.STRING || t.type() == Type.INTEGER || t.type() == Type.FLOAT
                || t.isOp("[") || t.isOp("{")) && !t.isName("else") && !t.isName("or") && !t.isName("and")) {
            if (t.isName("is")) throw fail("you cannot chain multiple tests with 'is'");
            Expr arg = parsePostfix(parsePrimary());
            args = new Expr.Args(List.of(arg), List.of(), List.of(), null, null);
        } else {
            args = Expr.Args.NONE;
        }
        Expr test = new Expr.Test(value, name.toString(), args, line);
        return negated ? new Expr.Not(test, line) : test;
    }
}
