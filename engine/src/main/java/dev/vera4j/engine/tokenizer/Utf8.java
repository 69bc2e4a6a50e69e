package dev.vera4j.engine.tokenizer;

/**
 * UTF-8 conversion with one fixed replacement policy, shared by encoding, whole-text decoding and streaming decoding
 * so that all three agree byte for byte.
 *
 * <p>Encoding turns a lone UTF-16 surrogate into U+FFFD (EF BF BD). Decoding replaces each maximal ill-formed subpart
 * with one U+FFFD (the Unicode Standard's recommended practice; the JDK differs for a few sequences such as a
 * truncated encoded surrogate), so decoding a byte stream in pieces cut at
 * {@link #incompleteTail} boundaries gives exactly the same text as decoding it in one go.
 *
 * <pre>{@code
 * byte[] b = Utf8.encode("h\u00e9");                     // 68 C3 A9
 * StringBuilder sb = new StringBuilder();
 * Utf8.decode(b, 0, 2, sb);                              // "h" + U+FFFD (truncated é)
 * int hold = Utf8.incompleteTail(b, 0, 2);               // 1: keep C3 back until more bytes arrive
 * }</pre>
 */
final class Utf8 {
    private Utf8() {}

    /** UTF-8 bytes of {@code s}; unpaired surrogates become U+FFFD. */
    static byte[] encode(String s) {
        int n = s.length();
        int size = 0;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) size += 1;
            else if (c < 0x800) size += 2;
            else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) { size += 4; i++; }
            else size += 3;
        }
        byte[] out = new byte[size];
        int o = 0;
        for (int i = 0; i < n; i++) {
            int c = s.charAt(i);
            if (c < 0x80) { out[o++] = (byte) c; continue; }
            if (c < 0x800) {
                out[o++] = (byte) (0xC0 | (c >> 6));
                out[o++] = (byte) (0x80 | (c & 0x3F));
                continue;
            }
            if (Character.isSurrogate((char) c)) {
                if (Character.isHighSurrogate((char) c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    int cp = Character.toCodePoint((char) c, s.charAt(++i));
                    out[o++] = (byte) (0xF0 | (cp >> 18));
                    out[o++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                    out[o++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                    out[o++] = (byte) (0x80 | (cp & 0x3F));
                    continue;
                }
                c = 0xFFFD;
            }
            out[o++] = (byte) (0xE0 | (c >> 12));
            out[o++] = (byte) (0x80 | ((c >> 6) & 0x3F));
            out[o++] = (byte) (0x80 | (c & 0x3F));
        }
        return out;
    }

    /** The text of {@code s} as it reads once encoded: what {@code decode(encode(s))} returns. */
    static String normalize(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        byte[] b = encode(s);
        decode(b, 0, b.length, sb);
        return sb.toString();
    }

    /** Number of bytes a sequence starting with lead byte {@code c} needs, or 0 for a byte that cannot start one. */
    private static int needed(int c) {
        if (c >= 0xC2 && c <= 0xDF) return 1;
        if (c >= 0xE0 && c <= 0xEF) return 2;
        if (c >= 0xF0 && c <= 0xF4) return 3;
        return 0;
    }

    private static int lowerSecond(int lead) { return lead == 0xE0 ? 0xA0 : lead == 0xF0 ? 0x90 : 0x80; }

    private static int upperSecond(int lead) { return lead == 0xED ? 0x9F : lead == 0xF4 ? 0x8F : 0xBF; }

    /**
     * Length of the well-formed prefix of a sequence starting at {@code i}: the whole sequence when it is complete,
     * otherwise how many of its bytes are valid so far (at least 1).
     */
    private static int unitLength(byte[] b, int i, int end) {
        int lead = b[i] & 0xFF;
        int need = needed(lead);
        int j = i + 1;
        for (int k = 0; k < need && j < end; k++, j++) {
            int d = b[j] & 0xFF;
            int lo = k == 0 ? lowerSecond(lead) : 0x80, hi = k == 0 ? upperSecond(lead) : 0xBF;
            if (d < lo || d > hi) break;
        }
        return j - i;
    }

    /** Appends the text of {@code b[off, off+len)} to {@code sb}, replacing ill-formed subparts with U+FFFD. */
    static void decode(byte[] b, int off, int len, StringBuilder sb) {
        int end = off + len;
        int i = off;
        while (i < end) {
            int lead = b[i] & 0xFF;
            if (lead < 0x80) { sb.append((char) lead); i++; continue; }
            int need = needed(lead);
            if (need == 0) { sb.append('\uFFFD'); i++; continue; }
            int unit = unitLength(b, i, end);
            if (unit != need + 1) { sb.append('\uFFFD'); i += unit; continue; }
            int cp = switch (need) {
                case 1 -> ((lead & 0x1F) << 6) | (b[i + 1] & 0x3F);
                case 2 -> ((lead & 0x0F) << 12) | ((b[i + 1] & 0x3F) << 6) | (b[i + 2] & 0x3F);
                default -> ((lead & 0x07) << 18) | ((b[i + 1] & 0x3F) << 12) | ((b[i + 2] & 0x3F) << 6) | (b[i + 3] & 0x3F);
            };
            sb.appendCodePoint(cp);
            i += unit;
        }
    }

    /**
     * How many bytes at the end of {@code b[off, off+len)} are the valid start of a sequence that is not complete yet:
     * a streaming decoder holds these back, because the next bytes may complete them.
     */
    static int incompleteTail(byte[] b, int off, int len) {
        int end = off + len;
        // a sequence is at most 4 bytes, so only a lead byte among the last 3 can start an unfinished one
        for (int i = Math.max(off, end - 3); i < end; i++) {
            int lead = b[i] & 0xFF;
            int need = needed(lead);
            if (need == 0) continue;
            int unit = unitLength(b, i, end);
            if (i + unit == end && unit < need + 1) return unit;
        }
        return 0;
    }
}
