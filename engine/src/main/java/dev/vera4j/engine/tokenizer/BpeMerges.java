package dev.vera4j.engine.tokenizer;

import java.util.Arrays;

/**
 * The merge ranks of a byte-level BPE vocabulary ({@code tokenizer.ggml.merges}), keyed by the ids of the two parts
 * so that a lookup is one probe in a primitive hash table.
 *
 * <p>Strings are compared as raw bytes (the GPT-2 byte-to-unicode spelling is undone once, here), which is the same
 * as comparing the spelled strings because that spelling is a bijection. Every string that appears is given an id:
 * a vocabulary token keeps its token id, a merge part that is not a token gets an id past the vocabulary.
 *
 * <p>The table of ranks is built at the first word that needs it, not with the tokenizer: with Llama 3's 280,000
 * merges it took 0.2 s of a cold start, and a text whose words are all tokens (Llama 3's pre-tokenizer takes such a
 * word as it is) needs none. Building is thread-safe; lookups after it are reads.
 */
final class BpeMerges {
    /** Tokens' raw bytes to token ids. */
    private final ByteStringTable tokens;
    private final int vocabSize;
    private final String[] lines;
    private volatile Ranks ranks;

    private BpeMerges(ByteStringTable tokens, int vocabSize, String[] lines) {
        this.tokens = tokens;
        this.vocabSize = vocabSize;
        this.lines = lines;
    }

    /** The merges of the vocabulary's token texts and merge lines ({@code "Ġ t"}); the ranks are built when first needed. */
    static BpeMerges build(String[] tokenTexts, String[] merges) {
        ByteStringTable tokens = new ByteStringTable(tokenTexts.length);
        for (int i = 0; i < tokenTexts.length; i++) {
            byte[] raw = GptBytes.toRawBytes(tokenTexts[i]);
            // a token spelled with code points outside the byte table can never equal a byte-level word
            if (raw != null && raw.length > 0) tokens.putIfAbsent(raw, i);
        }
        return new BpeMerges(tokens, tokenTexts.length, merges);
    }

    /**
     * Id of the raw byte string {@code b[off, off+len)}, or -1 when neither a token nor part of a merge. A string that
     * is not a token builds the ranks, which give the merge parts their ids.
     */
    int stringId(byte[] b, int off, int len) {
        int id = tokens.get(b, off, len);
        return id >= 0 ? id : ranks().parts.get(b, off, len);
    }

    /** Whether a string id is a vocabulary token (and then it is the token id). */
    boolean isToken(int stringId) { return stringId >= 0 && stringId < vocabSize; }

    /** {@code rank << 32 | mergedStringId} for the pair, or -1 when the pair never merges. */
    long lookup(int a, int b) {
        if (a < 0 || b < 0) return -1;
        return ranks().lookup(a, b);
    }

    /** Whether the ranks have been built (for tests). */
    boolean ranksBuilt() { return ranks != null; }

    private Ranks ranks() {
        Ranks r = ranks;
        if (r == null) {
            synchronized (this) {
                r = ranks;
                if (r == null) ranks = r = new Ranks(tokens, vocabSize, lines);
            }
        }
        return r;
    }

    /** The ranks by pair of part ids, and the ids of the parts that are not tokens. */
    private static final class Ranks {
        private final ByteStringTable tokens;
        /** Merge parts that are not tokens, to ids past the vocabulary. */
        final ByteStringTable parts = new ByteStringTable(16);
        private int nextId;
        private long[] keys;
        private long[] values;
        private int mask;
        private int size;

        Ranks(ByteStringTable tokens, int vocabSize, String[] lines) {
            this.tokens = tokens;
            this.nextId = vocabSize;
            int cap = Integer.highestOneBit(Math.max(16, lines.length * 2 - 1)) << 1;
            keys = new long[cap];
            values = new long[cap];
            Arrays.fill(keys, -1L);
            mask = cap - 1;
            byte[] buf = new byte[64];
            for (int rank = 0; rank < lines.length; rank++) {
                String line = lines[rank];
                // llama.cpp splits at the first space after the first character; a line without one is an empty pair,
                // which no word can ever produce
                int space = line.indexOf(' ', 1);
                if (space < 0) continue;
                if (buf.length < line.length()) buf = new byte[line.length()];
                int left = spell(line, 0, space, buf, 0);
                int right = left < 0 ? -1 : spell(line, space + 1, line.length(), buf, left);
                // an empty part, or a code point outside the byte table, can never match a byte-level word
                if (left <= 0 || right <= left) continue;
                int ia = intern(buf, 0, left);
                int ib = intern(buf, left, right - left);
                int iab = intern(buf, 0, right);
                putIfAbsent(ia, ib, rank, iab);
            }
        }

        private int intern(byte[] b, int off, int len) {
            int id = tokens.get(b, off, len);
            if (id >= 0) return id;
            id = parts.get(b, off, len);
            if (id >= 0) return id;
            parts.putIfAbsent(Arrays.copyOfRange(b, off, off + len), nextId);
            return nextId++;
        }

        private void putIfAbsent(int a, int b, int rank, int merged) {
            if ((size + 1) * 2 > keys.length) grow();
            long k = key(a, b);
            int i = (int) mix(k) & mask;
            while (keys[i] != -1L) {
                if (keys[i] == k) return; // the first (lowest-rank) rule for a pair wins, as in llama.cpp
                i = (i + 1) & mask;
            }
            keys[i] = k;
            values[i] = ((long) rank << 32) | (merged & 0xFFFFFFFFL);
            size++;
        }

        long lookup(int a, int b) {
            long k = key(a, b);
            for (int i = (int) mix(k) & mask; ; i = (i + 1) & mask) {
                long kk = keys[i];
                if (kk == k) return values[i];
                if (kk == -1L) return -1;
            }
        }

        private void grow() {
            long[] oldK = keys, oldV = values;
            keys = new long[oldK.length * 2];
            values = new long[keys.length];
            Arrays.fill(keys, -1L);
            mask = keys.length - 1;
            for (int i = 0; i < oldK.length; i++) {
                if (oldK[i] == -1L) continue;
                int j = (int) mix(oldK[i]) & mask;
                while (keys[j] != -1L) j = (j + 1) & mask;
                keys[j] = oldK[i];
                values[j] = oldV[i];
            }
        }
    }

    /** Writes the raw bytes spelled by {@code s[from, to)} at {@code out[off]}; returns the end offset, or -1. */
    private static int spell(String s, int from, int to, byte[] out, int off) {
        for (int i = from; i < to; ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            int b = GptBytes.byteOf(cp);
            if (b < 0) return -1;
            out[off++] = (byte) b;
        }
        return off;
    }

    private static long key(int a, int b) { return ((long) a << 32) | (b & 0xFFFFFFFFL); }

    private static long mix(long k) {
        k *= 0x9E3779B97F4A7C15L;
        return k ^ (k >>> 29);
    }
}
