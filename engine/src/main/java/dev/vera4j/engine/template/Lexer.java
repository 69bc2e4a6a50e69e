package dev.vera4j.engine.template;

import dev.vera4j.engine.template.Token.Type;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits template source into tokens exactly like jinja2's lexer configured as Hugging Face does
 * ({@code trim_blocks=True, lstrip_blocks=True}): newlines are normalized to {@code \n}, one trailing newline is
 * dropped, {@code -} strips all whitespace on that side, {@code +} disables lstrip/trim, lstrip removes spaces and
 * tabs before a block or comment tag that starts a line, and trim removes the first newline after a block/comment.
 */
final class Lexer {
    private static final String[] OPERATORS = {
        "//", "**", "==", "!=", ">=", "<=",
        "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"};

    private final String src;
    private final int[] lineStarts;
    private final List<Token> tokens = new ArrayList<>();
    private int pos;
    private boolean lineStarting = true;

    private Lexer(String source) {
        String s = source.replace("\r\n", "\n").replace('\r', '\n');
        if (s.endsWith("\n")) s = s.substring(0, s.length() - 1); // jinja2 keep_trailing_newline=False
        this.src = s;
        List<Integer> starts = new ArrayList<>();
        starts.add(0);
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) == '\n') starts.add(i + 1);
        lineStarts = starts.stream().mapToInt(Integer::intValue).toArray();
    }

    static List<Token> tokenize(String source) {
        Lexer lx = new Lexer(source);
        lx.run();
        return lx.tokens;
    }

    private int lineAt(int p) {
        int lo = 0, hi = lineStarts.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (lineStarts[mid] <= p) lo = mid; else hi = mid - 1;
        }
        return lo + 1;
    }

    private void run() {
        int n = src.length();
        while (pos < n) {
            int start = findTagStart(pos);
            if (start < 0) {
                emitData(src.substring(pos), pos);
                break;
            }
            char kind = src.charAt(start + 1);
            int after = start + 2;
            char sign = 0;
            if (after < n && (src.charAt(after) == '-' || src.charAt(after) == '+')) sign = src.charAt(after++);
            String text = applyLeftStrip(src.substring(pos, start), sign, kind != '{');
            emitData(text, pos);
            lineStarting = false;
            pos = after;
            if (kind == '#') {
                comment(start);
            } else if (kind == '%' && rawBegin()) {
                raw(start);
            } else {
                tag(kind == '%', start);
            }
        }
        tokens.add(new Token(Type.EOF, "", lineAt(n)));
    }

    private int findTagStart(int from) {
        for (int i = src.indexOf('{', from); i >= 0 && i + 1 < src.length(); i = src.indexOf('{', i + 1)) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') return i;
        }
        return -1;
    }

    private String applyLeftStrip(String text, char sign, boolean lstripApplies) {
        if (sign == '-') return PyStr.rstrip(text, null);
        if (sign != '+' && lstripApplies) {
            int lpos = text.lastIndexOf('\n') + 1;
            if (lpos > 0 || lineStarting) {
                String tail = text.substring(lpos);
                if (!tail.isEmpty() && PyStr.isAllSpace(tail)) return text.substring(0, lpos);
            }
        }
        return text;
    }

    private void emitData(String text, int at) {
        if (!text.isEmpty()) tokens.add(new Token(Type.DATA, text, lineAt(at)));
    }

    /** After {@code {#}: skip to the first {@code +#}}, {@code -#}} (then whitespace) or {@code #}} (then one newline). */
    private void comment(int start) {
        int n = src.length();
        for (int i = pos; i < n; i++) {
            if (src.startsWith("+#}", i)) { finishEnd(i + 3, false, false); return; }
            if (src.startsWith("-#}", i)) { finishEnd(i + 3, true, false); return; }
            if (src.startsWith("#}", i)) { finishEnd(i + 2, false, true); return; }
        }
        throw new TemplateException(lineAt(start), "missing end of comment tag");
    }

    /** Sets pos after an end marker, applying {@code -} (all whitespace) or trim_blocks (one newline). */
    private void finishEnd(int end, boolean stripAll, boolean trimNewline) {
        if (stripAll) while (end < src.length() && PyStr.isSpace(src.charAt(end))) end++;
        else if (trimNewline && end < src.length() && src.charAt(end) == '\n') end++;
        lineStarting = src.charAt(end - 1) == '\n';
        pos = end;
    }

    /** Whether {@code \s*raw\s*(-%}|%})} follows pos; consumes it if so. */
    private boolean rawBegin() {
        int p = skipSpace(pos);
        if (!src.startsWith("raw", p)) return false;
        p = skipSpace(p + 3);
        if (src.startsWith("-%}", p)) {
            pos = skipSpace(p + 3);
        } else if (src.startsWith("%}", p)) {
            pos = p + 2;
        } else {
            return false;
        }
        lineStarting = src.charAt(pos - 1) == '\n';
        return true;
    }

    private int skipSpace(int p) {
        while (p < src.length() && PyStr.isSpace(src.charAt(p))) p++;
        return p;
    }

    private void raw(int start) {
        for (int i = src.indexOf("{%", pos); i >= 0; i = src.indexOf("{%", i + 1)) {
            int p = i + 2;
            char sign = 0;
            if (p < src.length() && (src.charAt(p) == '-' || src.charAt(p) == '+')) sign = src.charAt(p++);
            p = skipSpace(p);
            if (!src.startsWith("endraw", p)) continue;
            p = skipSpace(p + 6);
            boolean plus = src.startsWith("+%}", p), minus = src.startsWith("-%}", p), plain = src.startsWith("%}", p);
            if (!plus && !minus && !plain) continue;
            emitData(applyLeftStrip(src.substring(pos, i), sign, true), pos);
            if (plus) finishEnd(p + 3, false, false);
            else if (minus) finishEnd(p + 3, true, false);
            else finishEnd(p + 2, false, true);
            return;
        }
        throw new TemplateException(lineAt(start), "missing end of raw directive");
    }

    private void tag(boolean block, int start) {
        tokens.add(new Token(block ? Type.BLOCK_BEGIN : Type.VARIABLE_BEGIN, block ? "{%" : "{{", lineAt(start)));
        List<Character> balance = new ArrayList<>();
        int n = src.length();
        while (true) {
            if (pos >= n) throw new TemplateException(lineAt(start), "unexpected end of template, tag opened here was never closed");
            if (balance.isEmpty()) {
                if (block) {
                    if (src.startsWith("+%}", pos)) { endTag(Type.BLOCK_END, pos + 3, false, false); return; }
                    if (src.startsWith("-%}", pos)) { endTag(Type.BLOCK_END, pos + 3, true, false); return; }
                    if (src.startsWith("%}", pos)) { endTag(Type.BLOCK_END, pos + 2, false, true); return; }
                } else {
                    if (src.startsWith("-}}", pos)) { endTag(Type.VARIABLE_END, pos + 3, true, false); return; }
                    if (src.startsWith("}}", pos)) { endTag(Type.VARIABLE_END, pos + 2, false, false); return; }
                }
            }
            char c = src.charAt(pos);
            if (PyStr.isSpace(c)) { pos++; continue; }
            int line = lineAt(pos);
            int end;
            if ((end = matchFloat(pos)) > 0) {
                tokens.add(new Token(Type.FLOAT, src.substring(pos, end).replace("_", ""), line));
            } else if ((end = matchInteger(pos)) > 0) {
                tokens.add(new Token(Type.INTEGER, src.substring(pos, end).replace("_", ""), line));
            } else if (Character.isLetter(c) || c == '_') {
                end = pos + 1;
                while (end < n && (Character.isLetterOrDigit(src.charAt(end)) || src.charAt(end) == '_')) end++;
                tokens.add(new Token(Type.NAME, src.substring(pos, end), line));
            } else if (c == '\'' || c == '"') {
                end = pos + 1;
                while (end < n && src.charAt(end) != c) end += src.charAt(end) == '\\' ? 2 : 1;
                if (end >= n) throw new TemplateException(line, "unterminated string literal");
                String value;
                try {
                    value = PyStr.unescapeLiteral(src.substring(pos + 1, end));
                } catch (IllegalArgumentException e) {
                    throw new TemplateException(line, e.getMessage());
                }
                tokens.add(new Token(Type.STRING, value, line));
                end++;
            } else {
                String op = null;
                for (String o : OPERATORS) if (src.startsWith(o, pos)) { op = o; break; }
                if (op == null) throw new TemplateException(line, "unexpected character '" + c + "' in tag");
                end = pos + op.length();
                switch (op) {
                    case "{" -> balance.add('}');
                    case "(" -> balance.add(')');
                    case "[" -> balance.add(']');
                    case "}", ")", "]" -> {
                        if (balance.isEmpty()) throw new TemplateException(line, "unexpected '" + op + "'");
                        char expected = balance.removeLast();
                        if (expected != op.charAt(0)) throw new TemplateException(line, "unexpected '" + op + "', expected '" + expected + "'");
                    }
                    default -> { }
                }
                tokens.add(new Token(Type.OPERATOR, op, line));
            }
            pos = end;
        }
    }

    private void endTag(Type type, int end, boolean stripAll, boolean trimNewline) {
        tokens.add(new Token(type, type == Type.BLOCK_END ? "%}" : "}}", lineAt(pos)));
        finishEnd(end, stripAll, trimNewline);
    }

    private int digits(int p) { // (\d+_)*\d+
        int n = src.length(), q = p;
        if (q >= n || !isDigit(src.charAt(q))) return -1;
        while (true) {
            while (q < n && isDigit(src.charAt(q))) q++;
            if (q + 1 < n && src.charAt(q) == '_' && isDigit(src.charAt(q + 1))) { q++; continue; }
            return q;
        }
    }

    private int matchFloat(int p) {
        if (p > 0 && src.charAt(p - 1) == '.') return -1;
        int q = digits(p);
        if (q < 0) return -1;
        int n = src.length();
        int frac = -1;
        if (q < n && src.charAt(q) == '.') frac = digits(q + 1);
        int afterFrac = frac > 0 ? frac : q;
        if (afterFrac < n && (src.charAt(afterFrac) == 'e' || src.charAt(afterFrac) == 'E')) {
            int e = afterFrac + 1;
            if (e < n && (src.charAt(e) == '+' || src.charAt(e) == '-')) e++;
            int exp = digits(e);
            if (exp > 0) return exp;
        }
        return frac > 0 ? frac : -1;
    }

    private int matchInteger(int p) {
        int n = src.length();
        if (p >= n || !isDigit(src.charAt(p))) return -1;
        if (src.charAt(p) == '0' && p + 1 < n && "bBoOxX".indexOf(src.charAt(p + 1)) >= 0) {
            int radix = switch (Character.toLowerCase(src.charAt(p + 1))) { case 'b' -> 2; case 'o' -> 8; default -> 16; };
            int q = p + 2;
            while (q < n && (Character.digit(src.charAt(q), radix) >= 0 || (src.charAt(q) == '_' && q + 1 < n && Character.digit(src.charAt(q + 1), radix) >= 0))) q++;
            if (q > p + 2) return q;
        }
        if (src.charAt(p) == '0') {
            int q = p + 1;
            while (q < n && (src.charAt(q) == '0' || (src.charAt(q) == '_' && q + 1 < n && src.charAt(q + 1) == '0'))) q++;
            return q;
        }
        return digits(p);
    }

    private static boolean isDigit(char c) { return c >= '0' && c <= '9'; }
}
