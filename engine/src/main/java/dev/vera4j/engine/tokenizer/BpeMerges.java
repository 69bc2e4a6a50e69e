package dev.vera4j.engine.tokenizer;

import java.util.Arrays;

/**
 * The merge ranks of a byte-level BPE vocabulary ({@code tokenizer.ggml.merges}), keyed by the ids of the two parts
 * so that a lookup is one probe in a primitive hash table.
 *
 * <p>Strings are compared as raw bytes (the GPT-2 byte-to-unicode spelling is undone once, here), which is the same
 * as comparing the spelled strings because that spelling is a bijection. Every string that appears is given an id:
 * a vocabulary token keeps its token id, a merge part that is not a token gets an id past the vocabulary.
 */
final class BpeMerges {
    private final ByteStringTable strings;
    private final int vocabSize;
    private long[] keys;
    private long[] values;
    private int mask;
    private int size;

    private BpeMerges(ByteStringTable strings, int vocabSize, int expected) {
        this.strings = strings;
        this.vocabSize = vocabSize;
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        values = new long[cap];
        Arrays.fill(keys, -1L);
        mask = cap - 1;
    }

    /** Builds the table from the vocabulary's token texts and merge lines ({@code "Ġ t"}). */
    static BpeMerges build(String[] tokenTexts, String[] merges) {
        ByteStringTable strings = new ByteStringTable(tokenTexts.length + merges.length);
        for (int i = 0; i < tokenTexts.length; i++) {
            byte[] raw = GptBytes.toRawBytes(tokenTexts[i]);
            // a token spelled with code points outside the byte table can never equal a byte-level word
            if (raw != null && raw.length > 0) strings.putIfAbsent(raw, i);
        }
        BpeMerges m = new BpeMerges(strings, tokenTexts.length, merges.length);
        int[] nextId = {tokenTexts.length};
        byte[] buf = new byte[64];
        for (int rank = 0; rank < merges.length; rank++) {
            String line = merges[rank];
            // llama.cpp splits at the first space after the first character; a line without one is an empty pair,
            // which no word can ever produce
            int space = line.indexOf(' ', 1);
            if (space < 0) continue;
            if (buf.length < line.length()) buf = new byte[line.length()];
            int left = spell(line, 0, space, buf, 0);
            int right = left < 0 ? -1 : spell(line, space + 1, line.length(), buf, left);
            // an empty part, or a code point outside the byte table, can never match a byte-level word
            if (left <= 0 || right <= left) continue;
            int ia = m.intern(buf, 0, left, nextId);
            int ib = m.intern(buf, left, right - left, nextId);
            int iab = m.intern(buf, 0, right, nextId);
            m.putIfAbsent(ia, ib, rank, iab);
        }
        return m;
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

    private int intern(byte[] b, int off, int len, int[] nextId) {
        int id = strings.get(b, off, len);
        if (id >= 0) return id;
        strings.putIfAbsent(java.util.Arrays.copyOfRange(b, off, off + len), nextId[0]);
        return nextId[0]++;
    }

    /** Id of the raw byte string {@code b[off, off+len)}, or -1 when neither a token nor part of a merge. */
    int stringId(byte[] b, int off, int len) { return strings.get(b, off, len); }

    /** Whether a string id is a vocabulary token (and then it is the token id). */
    boolean isToken(int stringId) { return stringId >= 0 && stringId < vocabSize; }

    private static long key(int a, int b) { return ((long) a << 32) | (b & 0xFFFFFFFFL); }

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

    /** {@code rank << 32 | mergedStringId} for the pair, or -1 when the pair never merges. */
    long lookup(int a, int b) {
        if (a < 0 || b < 0) return -1;
        long k = key(a, b);
        for (int i = (int) mix(k) & mask; ; i = (i + 1) & mask) {
            long kk = keys[i];
            if (kk == k) return values[i];
            if (kk == -1L) return -1;
        }
    }

    private static long mix(long k) {
        k *= 0x9E3779B97F4A7C15L;
        return k ^ (k >>> 29);
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
