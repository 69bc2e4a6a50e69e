package dev.vera4j.engine.json;

import java.util.List;
import java.util.Map;

/** Recursive-descent RFC 8259 parser over a string; one instance parses one document. */
final class JsonParser {
    private final String s;
    private final int maxDepth;
    private int pos;
    private int depth;

    JsonParser(String text, int maxDepth) {
        if (text == null) throw new JsonException("cannot parse null as JSON");
        this.s = text;
        this.maxDepth = maxDepth;
        // A leading byte order mark is tolerated, as RFC 8259 section 8.1 allows.
        this.pos = text.startsWith("\uFEFF") ? 1 : 0;
    }

    Object parseDocument() {
        skipWhitespace();
        if (pos >= s.length()) throw error("empty input, expected a JSON value");
        Object v = parseValue();
        skipWhitespace();
        if (pos < s.length()) throw error("unexpected " + describe(pos) + " after the JSON value");
        return v;
    }

    private Object parseValue() {
        if (pos >= s.length()) throw error("unexpected end of input, expected a value");
        char c = s.charAt(pos);
        return switch (c) {
            case '{' -> parseObject();
            case '[' -> parseArray();
            case '"' -> parseString();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) yield parseNumber();
                throw error("unexpected " + describe(pos) + ", expected a value");
            }
        };
    }

    private Object literal(String word, Object value) {
        if (!s.startsWith(word, pos)) throw error("unexpected " + describe(pos) + ", expected a value");
        pos += word.length();
        return value;
    }

    private Map<String, Object> parseObject() {
        enter();
        pos++; // '{'
        Map<String, Object> map = Json.newObject();
        skipWhitespace();
        if (peek() == '}') { pos++; depth--; return map; }
        while (true) {
            skipWhitespace();
            if (peek() != '"') throw error(pos >= s.length() ? "unexpected end of input in object" : "expected a string key, got " + describe(pos));
            String key = parseString();
            skipWhitespace();
            if (peek() != ':') throw error("expected ':' after object key, got " + describe(pos));
            pos++;
            skipWhitespace();
            map.put(key, parseValue());
            skipWhitespace();
            char c = peek();
            if (c == ',') { pos++; continue; }
            if (c == '}') { pos++; depth--; return map; }
            throw error(pos >= s.length() ? "unexpected end of input in object" : "expected ',' or '}' in object, got " + describe(pos));
        }
    }

    private List<Object> parseArray() {
        enter();
        pos++; // '['
        List<Object> list = Json.newArray();
        skipWhitespace();
        if (peek() == ']') { pos++; depth--; return list; }
        while (true) {
            skipWhitespace();
            list.add(parseValue());
            skipWhitespace();
            char c = peek();
            if (c == ',') { pos++; continue; }
            if (c == ']') { pos++; depth--; return list; }
            throw error(pos >= s.length() ? "unexpected end of input in array" : "expected ',' or ']' in array, got " + describe(pos));
        }
    }

    private void enter() {
        if (++depth > maxDepth) throw error("nesting deeper than " + maxDepth + " levels");
    }

    private String parseString() {
        int start = pos;
        pos++; // opening quote
        StringBuilder sb = null;
        int runStart = pos;
        while (true) {
            if (pos >= s.length()) throw errorAt(start, "unterminated string");
            char c = s.charAt(pos);
            if (c == '"') {
                String result = sb == null ? s.substring(runStart, pos) : sb.append(s, runStart, pos).toString();
                pos++;
                return result;
            }
            if (c < 0x20) throw error("unescaped control character U+" + String.format("%04X", (int) c) + " in string");
            if (c != '\\') { pos++; continue; }
            if (sb == null) sb = new StringBuilder();
            sb.append(s, runStart, pos);
            pos++;
            if (pos >= s.length()) throw errorAt(start, "unterminated string");
            char e = s.charAt(pos);
            switch (e) {
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case '/' -> sb.append('/');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> { pos++; appendUnicodeEscape(sb); pos--; }
                default -> { pos--; throw error("invalid escape '\\" + e + "' in string"); }
            }
            pos++;
            runStart = pos;
        }
    }

    /** At entry pos is just after {@code \\u}; leaves pos on the last hex digit consumed plus one. */
    private void appendUnicodeEscape(StringBuilder sb) {
        int escStart = pos - 2;
        char hi = (char) hex4();
        if (Character.isHighSurrogate(hi)) {
            if (s.startsWith("\\u", pos)) {
                pos += 2;
                char lo = (char) hex4();
                if (!Character.isLowSurrogate(lo)) throw errorAt(escStart, "high surrogate \\u" + hexOf(hi) + " not followed by a low surrogate");
                sb.append(hi).append(lo);
                return;
            }
            throw errorAt(escStart, "high surrogate \\u" + hexOf(hi) + " not followed by a low surrogate");
        }
        if (Character.isLowSurrogate(hi)) throw errorAt(escStart, "lone low surrogate \\u" + hexOf(hi));
        sb.append(hi);
    }

    private int hex4() {
        if (pos + 4 > s.length()) throw error("incomplete \\u escape");
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(s.charAt(pos), 16);
            if (d < 0 || s.charAt(pos) > 'f') throw error("invalid hex digit " + describe(pos) + " in \\u escape");
            v = v * 16 + d;
            pos++;
        }
        return v;
    }

    private static String hexOf(char c) { return String.format("%04X", (int) c); }

    private Object parseNumber() {
        int start = pos;
        if (peek() == '-') pos++;
        if (peek() == '0') {
            pos++;
            if (isDigit(peek())) throw error("leading zeros are not allowed in numbers");
        } else if (isDigit(peek())) {
            while (isDigit(peek())) pos++;
        } else {
            throw error("expected a digit, got " + describe(pos));
        }
        boolean integral = true;
        if (peek() == '.') {
            integral = false;
            pos++;
            if (!isDigit(peek())) throw error("expected a digit after '.', got " + describe(pos));
            while (isDigit(peek())) pos++;
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            pos++;
            if (peek() == '+' || peek() == '-') pos++;
            if (!isDigit(peek())) throw error("expected a digit in exponent, got " + describe(pos));
            while (isDigit(peek())) pos++;
        }
        String text = s.substring(start, pos);
        if (integral && text.length() <= 20) {
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException outOfRange) {
                // falls through to Double, as documented
            }
        }
        double d = Double.parseDouble(text);
        if (Double.isInfinite(d)) throw errorAt(start, "number " + text + " is out of range");
        return d;
    }

    private static boolean isDigit(char c) { return c >= '0' && c <= '9'; }

    private char peek() { return pos < s.length() ? s.charAt(pos) : '\0'; }

    private void skipWhitespace() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') pos++;
            else break;
        }
    }

    private String describe(int at) {
        if (at >= s.length()) return "end of input";
        int cp = s.codePointAt(at);
        if (cp < 0x20 || cp == 0x7F) return "character U+" + String.format("%04X", cp);
        return "'" + new String(Character.toChars(cp)) + "'";
    }

    private JsonException error(String message) { return errorAt(pos, message); }

    private JsonException errorAt(int at, String message) {
        int line = 1, col = 1;
        int end = Math.min(at, s.length());
        for (int i = 0; i < end; i++) {
            char c = s.charAt(i);
            if (c == '\n') { line++; col = 1; }
            else if (c == '\r') {
                if (i + 1 < end && s.charAt(i + 1) == '\n') continue;
                line++; col = 1;
            } else col++;
        }
        return new JsonException(message, line, col);
    }
}
