package dev.vera4j.engine.tokenizer;

/** Bounds-checked code point access shared by the scanners: outside the chunk a position has no flags at all. */
final class Scan {
    /** What {@link #cp} returns outside the chunk. */
    static final int OUT = -1;

    private Scan() {}

    static int cp(int[] cps, int pos, int start, int end) { return pos >= start && pos < end ? cps[pos] : OUT; }

    static int flags(int[] cps, int pos, int start, int end) {
        return pos >= start && pos < end ? CodepointFlags.of(cps[pos]) : 0;
    }

    static boolean has(int flags, int bits) { return (flags & bits) != 0; }

    /** Matches {@code 's|'t|'re|'ve|'m|'ll|'d} at {@code pos}; returns its length or 0. */
    static int contraction(int[] cps, int pos, int end, boolean ignoreCase) {
        if (cps[pos] != '\'' || pos + 1 >= end) return 0;
        int a = lower(cps[pos + 1], ignoreCase);
        if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
        if (pos + 2 >= end) return 0;
        int b = lower(cps[pos + 2], ignoreCase);
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
        return 0;
    }

    // only ASCII letters matter here: no other code point lower-cases to one of "stmdrvel"
    private static int lower(int c, boolean ignoreCase) { return ignoreCase && c >= 'A' && c <= 'Z' ? c + 32 : c; }

    /**
     * Whitespace at {@code pos} the way {@code \s*[\r\n]+|\s+(?!\S)|\s+} splits it; returns the end of the piece, or
     * {@code pos} when there is no whitespace. {@code withNewlines} enables the first alternative.
     */
    static int whitespace(int[] cps, int pos, int start, int end, boolean withNewlines) {
        int n = 0;
        int lastNewlineEnd = 0;
        while (has(flags(cps, pos + n, start, end), CodepointFlags.WHITESPACE)) {
            int c = cps[pos + n];
            if (c == '\r' || c == '\n') lastNewlineEnd = pos + n + 1;
            n++;
        }
        if (withNewlines && lastNewlineEnd > 0) return lastNewlineEnd;
        // \s+(?!\S): leave the last space to the word after it
        if (n > 1 && pos + n < end) return pos + n - 1;
        return pos + n;
    }
}
