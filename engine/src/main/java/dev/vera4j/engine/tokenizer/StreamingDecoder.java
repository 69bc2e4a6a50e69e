package dev.vera4j.engine.tokenizer;

import java.util.Arrays;

/**
 * Turns token ids into text one at a time, for printing a generation as it happens. Bytes that do not yet form a
 * complete UTF-8 character (a character split over byte tokens) are held back, and so are the few bytes the
 * decoder's space clean-up may still change, so the concatenation of everything {@link #accept} and {@link #flush}
 * return is exactly {@link Tokenizer#decode} of all the ids.
 *
 * <pre>{@code
 * StreamingDecoder d = tokenizer.streamingDecoder();
 * for (int id : generated) System.out.print(d.accept(id));
 * System.out.print(d.flush());
 * }</pre>
 *
 * Not thread-safe; use one per stream.
 */
public final class StreamingDecoder {
    private final Pieces pieces;
    private boolean first = true;
    /** Decoded bytes the space clean-up has not settled yet. */
    private byte[] raw = new byte[32];
    private int rawLen;
    /** Settled bytes that end in an unfinished UTF-8 character. */
    private byte[] text = new byte[32];
    private int textLen;

    StreamingDecoder(Pieces pieces) { this.pieces = pieces; }

    /** Takes the next token and returns the text that is now complete (often empty, never null). */
    public String accept(int id) {
        byte[] p = pieces.plain(id);
        int skip = first && pieces.removeLeadingSpace && p.length > 0 && p[0] == ' ' ? 1 : 0;
        first = false;
        if (!pieces.cleanSpaces) {
            append(p, skip, p.length - skip);
            return drainText(false);
        }
        raw = ensure(raw, rawLen + p.length);
        System.arraycopy(p, skip, raw, rawLen, p.length - skip);
        rawLen += p.length - skip;
        int cut = safeCut();
        if (cut > 0) {
            byte[] cleaned = Pieces.clean(raw, cut);
            append(cleaned, 0, cleaned.length);
            System.arraycopy(raw, cut, raw, 0, rawLen - cut);
            rawLen -= cut;
        }
        return drainText(false);
    }

    /** Ends the stream: returns everything held back (an unfinished character becomes U+FFFD). */
    public String flush() {
        if (rawLen > 0) {
            byte[] cleaned = Pieces.clean(raw, rawLen);
            append(cleaned, 0, cleaned.length);
            rawLen = 0;
        }
        return drainText(true);
    }

    /**
     * The longest prefix of the pending bytes whose clean-up cannot depend on what follows. The clean-up only ever
     * deletes spaces, and only looks past a byte that follows a space (at {@code ' ? ! . ,}) or, for {@code " 're"}
     * and {@code " 've"}, two bytes past an apostrophe. So a prefix ending in a byte that is neither a space nor an
     * apostrophe cleans the same alone as followed by anything, unless it ends in {@code 'r} or {@code 'v} (or
     * {@code " r"}, which may become {@code 'r} once a space goes): then the byte before must be plain too.
     */
    private int safeCut() {
        for (int p = rawLen; p >= 1; p--) {
            byte last = raw[p - 1];
            if (!plainByte(last)) continue;
            if ((last == 'r' || last == 'v') && p >= 2 && !plainByte(raw[p - 2])) continue;
            return p;
        }
        return 0;
    }

    private static boolean plainByte(byte b) { return b != ' ' && b != '\''; }

    private void append(byte[] b, int off, int len) {
        text = ensure(text, textLen + len);
        System.arraycopy(b, off, text, textLen, len);
        textLen += len;
    }

    private String drainText(boolean all) {
        int hold = all ? 0 : Utf8.incompleteTail(text, 0, textLen);
        int n = textLen - hold;
        if (n == 0) return "";
        StringBuilder sb = new StringBuilder(n);
        Utf8.decode(text, 0, n, sb);
        System.arraycopy(text, n, text, 0, hold);
        textLen = hold;
        return sb.toString();
    }

    private static byte[] ensure(byte[] a, int n) {
        return n <= a.length ? a : Arrays.copyOf(a, Math.max(n, a.length * 2));
    }
}
