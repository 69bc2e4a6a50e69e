package dev.vera4j.engine.template;

import java.util.ArrayList;
import java.util.List;

/** Python {@code str} behaviour that shows in rendered templates: whitespace, strip/split, repr, literals. */
final class PyStr {
    private PyStr() {}

    /** Python's {@code str.isspace} for one code point. */
    static boolean isSpace(int c) {
        return switch (c) {
            case ' ', '\t', '\n', 0x0B, '\f', '\r', 0x1C, 0x1D, 0x1E, 0x1F, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F,
                 0x205F, 0x3000 -> true;
            default -> c >= 0x2000 && c <= 0x200A;
        };
    }

    static boolean isAllSpace(String s) {
        for (int i = 0; i < s.length(); i++) if (!isSpace(s.charAt(i))) return false;
        return true;
    }

    private static boolean stripped(String chars, int cp) {
        return chars == null ? isSpace(cp) : chars.indexOf(cp) >= 0 || (cp > 0xFFFF && chars.contains(Character.toString(cp)));
    }

    static String strip(String s, String chars) { return rstrip(lstrip(s, chars), chars); }

    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            if (!stripped(chars, cp)) break;
            i += Character.charCount(cp);
        }
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int j = s.length();
        while (j > 0) {
            int cp = s.codePointBefore(j);
            if (!stripped(chars, cp)) break;
            j -= Character.charCount(cp);
        }
        return s.substring(0, j);
    }

    /** {@code str.split(sep, maxsplit)}; {@code sep == null} splits on runs of whitespace. */
    static List<Object> split(String s, String sep, long maxsplit) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int i = 0, n = s.length();
            while (true) {
                while (i < n && isSpace(s.charAt(i))) i++;
                if (i >= n) break;
                if (maxsplit >= 0 && out.size() >= maxsplit) { out.add(s.substring(i)); break; }
                int j = i;
                while (j < n && !isSpace(s.charAt(j))) j++;
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) throw new IllegalArgumentException("empty separator");
        int i = 0;
        while (maxsplit < 0 || out.size() < maxsplit) {
            int j = s.indexOf(sep, i);
            if (j < 0) break;
            out.add(s.substring(i, j));
            i = j + sep.length();
        }
        out.add(s.substring(i));
        return out;
    }

    /** {@code str.rsplit(sep, maxsplit)}. */
    static List<Object> rsplit(String s, String sep, long maxsplit) {
        if (maxsplit < 0) return split(s, sep, -1);
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int j = s.length();
            while (true) {
                while (j > 0 && isSpace(s.charAt(j - 1))) j--;
                if (j <= 0) break;
                if (out.size() >= maxsplit) { out.addFirst(s.substring(0, j)); break; }
                int i = j;
                while (i > 0 && !isSpace(s.charAt(i - 1))) i--;
                out.addFirst(s.substring(i, j));
                j = i;
            }
            return out;
        }
        if (sep.isEmpty()) throw new IllegalArgumentException("empty separator");
        int j = s.length();
        while (out.size() < maxsplit) {
            int i = s.lastIndexOf(sep, j - sep.length());
            if (i < 0) break;
            out.addFirst(s.substring(i + sep.length(), j));
            j = i;
        }
        out.addFirst(s.substring(0, j));
        return out;
    }

    /** Python's {@code str.splitlines()} (no keepends). */
    static List<String> splitlines(String s) {
        List<String> out = new ArrayList<>();
        int i = 0, start = 0, n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            boolean br = c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D || c == 0x1E
                    || c == 0x85 || c == 0x2028 || c == 0x2029;
            if (br) {
                out.add(s.substring(start, i));
                if (c == '\r' && i + 1 < n && s.charAt(i + 1) == '\n') i++;
                start = i + 1;
            }
            i++;
        }
        if (start < n) out.add(s.substring(start));
        return out;
    }

    /** Python's {@code str.title()}: upper after a non-cased character, lower elsewhere. */
    static String title(String s) {
        StringBuilder sb = new StringBuilder();
        boolean prevCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (prevCased) sb.append(Character.toString(cp).toLowerCase());
            else sb.append(Character.toString(Character.toTitleCase(cp)));
            prevCased = Character.isUpperCase(cp) || Character.isLowerCase(cp) || Character.isTitleCase(cp);
        }
        return sb.toString();
    }

    /** Python's {@code str.capitalize()}. */
    static String capitalize(String s) {
        if (s.isEmpty()) return s;
        int cp = s.codePointAt(0);
        return Character.toString(Character.toTitleCase(cp)) + s.substring(Character.charCount(cp)).toLowerCase();
    }

    static String upper(String s) { return s.toUpperCase(java.util.Locale.ROOT); }

    static String lower(String s) { return s.toLowerCase(java.util.Locale.ROOT); }

    static int[] codePoints(String s) { return s.codePoints().toArray(); }

    static int length(String s) { return s.codePointCount(0, s.length()); }

    /** Python's {@code repr(str)}. */
    static String repr(String s) {
        char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder sb = new StringBuilder().append(q);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == q || cp == '\\') sb.append('\\').appendCodePoint(cp);
            else if (cp == '\n') sb.append("\\n");
            else if (cp == '\r') sb.append("\\r");
            else if (cp == '\t') sb.append("\\t");
            else if (!isPrintable(cp)) {
                if (cp < 0x100) sb.append(String.format("\\x%02x", cp));
                else if (cp < 0x10000) sb.append(String.format("\\u%04x", cp));
                else sb.append(String.format("\\U%08x", cp));
            } else sb.appendCodePoint(cp);
        }
        return sb.append(q).toString();
    }

    private static boolean isPrintable(int cp) {
        if (cp == ' ') return true;
        if (cp < 0x20 || cp == 0x7F) return false;
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED,
                 Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR, Character.SPACE_SEPARATOR -> false;
            default -> true;
        };
    }

    /**
     * The value of a template string literal: jinja2 decodes it with Python's {@code unicode-escape}, so
     * {@code \n \t \\ \' \" \xhh \\uXXXX \\UXXXXXXXX} and octal escapes work and unknown escapes stay as written.
     */
    static String unescapeLiteral(String body) {
        if (body.indexOf('\\') < 0) return body;
        StringBuilder sb = new StringBuilder();
        int n = body.length();
        for (int i = 0; i < n; i++) {
            char c = body.charAt(i);
            if (c != '\\' || i + 1 >= n) { sb.append(c); continue; }
            char e = body.charAt(++i);
            switch (e) {
                case '\n' -> { }
                case '\\' -> sb.append('\\');
                case '\'' -> sb.append('\'');
                case '"' -> sb.append('"');
                case 'a' -> sb.append('\u0007');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'v' -> sb.append('\u000B');
                case 'x', 'u', 'U' -> {
                    int len = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    if (i + len >= n) throw new IllegalArgumentException("truncated \\" + e + " escape in string literal");
                    String hex = body.substring(i + 1, i + 1 + len);
                    int cp;
                    try {
                        cp = Integer.parseUnsignedInt(hex, 16);
                    } catch (NumberFormatException ex) {
                        throw new IllegalArgumentException("bad \\" + e + " escape in string literal: " + hex);
                    }
                    sb.appendCodePoint(cp);
                    i += len;
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int v = e - '0', k = 1;
                        while (k < 3 && i + 1 < n && body.charAt(i + 1) >= '0' && body.charAt(i + 1) <= '7') {
                            v = v * 8 + (body.charAt(++i) - '0');
                            k++;
                        }
                        sb.append((char) v);
                    } else {
                        sb.append('\\').append(e);
                    }
                }
            }
        }
        return sb.toString();
    }

    /** markupsafe's escape: {@code & < > ' "}. */
    static String escapeHtml(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '\'' -> sb.append("&#39;");
                case '"' -> sb.append("&#34;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
