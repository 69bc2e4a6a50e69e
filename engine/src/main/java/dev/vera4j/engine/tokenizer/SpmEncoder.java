package dev.vera4j.engine.tokenizer;

/**
 * SentencePiece-style BPE as llama.cpp's {@code llm_tokenizer_spm_session} runs it: start from UTF-8 characters and
 * keep merging the adjacent pair whose merged text is the token with the highest score (leftmost on ties), then
 * spell whatever is not a token as byte tokens ({@code <0x0A>}).
 *
 * <p>One instance holds the working arrays of one call; it is not thread-safe.
 */
final class SpmEncoder {
    private static final byte[] SPACE_MARK = {(byte) 0xE2, (byte) 0x96, (byte) 0x81}; // U+2581 "▁"

    private final Vocab vocab;
    private int[] symStart = new int[64], symLen = new int[64], prev = new int[64], next = new int[64];
    private final BigramHeap heap = new BigramHeap();

    SpmEncoder(Vocab vocab) { this.vocab = vocab; }

    /** Text as the SPM model sees it: optional leading space, every space replaced by {@code ▁}. */
    static byte[] escape(byte[] text, int off, int len, boolean prefixSpace) {
        int spaces = 0;
        for (int i = off; i < off + len; i++) if (text[i] == ' ') spaces++;
        byte[] out = new byte[len + 2 * spaces + (prefixSpace ? 3 : 0)];
        int o = 0;
        if (prefixSpace) { System.arraycopy(SPACE_MARK, 0, out, 0, 3); o = 3; }
        for (int i = off; i < off + len; i++) {
            if (text[i] == ' ') { System.arraycopy(SPACE_MARK, 0, out, o, 3); o += 3; }
            else out[o++] = text[i];
        }
        return out;
    }

    /**
     * Appends the tokens of (already escaped) {@code text} to {@code out}. When no token has a {@code ▁} after
     * anything but {@code ▁} ({@link Vocab#spaceMarkLeadsOnly}), no token can span the start of a word, so no merge
     * ever pairs symbols from two words and the priority order within each word is unchanged by the others: encoding
     * word by word then gives exactly the ids of {@link #encodeWhole}, with a small, cache-resident queue.
     */
    void encode(byte[] text, IntList out) {
        if (!vocab.spaceMarkLeadsOnly) { encodeWhole(text, 0, text.length, out); return; }
        int from = 0;
        for (int i = 3; i + 3 <= text.length; i++) {
            if (isSpaceMark(text, i) && !isSpaceMark(text, i - 3) && i > from) {
                encodeWhole(text, from, i, out);
                from = i;
            }
        }
        encodeWhole(text, from, text.length, out);
    }

    private static boolean isSpaceMark(byte[] t, int i) {
        return t[i] == SPACE_MARK[0] && t[i + 1] == SPACE_MARK[1] && t[i + 2] == SPACE_MARK[2];
    }

    /** The reference algorithm over {@code text[from, to)} in one piece, as llama.cpp runs it. */
    void encodeWhole(byte[] text, int from, int to, IntList out) {
        int n = 0;
        for (int off = from; off < to; n++) {
            ensure(n + 1);
            int len = Math.min(utf8Length(text[off]), to - off);
            symStart[n] = off;
            symLen[n] = len;
            prev[n] = n - 1;
            off += len;
            next[n] = off == to ? -1 : n + 1;
        }
        if (n == 0) return;
        heap.clear();
        for (int i = 1; i < n; i++) tryAddBigram(text, i - 1, i);
        while (!heap.isEmpty()) {
            int left = heap.topLeft(), right = heap.topRight(), size = heap.topSize();
            heap.pop();
            // skip pairs that went stale: one side already merged into something else
            if (symLen[left] == 0 || symLen[right] == 0 || symLen[left] + symLen[right] != size) continue;
            symLen[left] += symLen[right];
            symLen[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            tryAddBigram(text, prev[left], left);
            tryAddBigram(text, left, next[left]);
        }
        // a final symbol is either a token or a single character (merges only ever form tokens), so llama.cpp's
        // rev_merge re-segmentation never has anything to split and spelling out bytes is all that is left
        for (int i = 0; i != -1; i = next[i]) {
            int id = vocab.textTable.get(text, symStart[i], symLen[i]);
            if (id >= 0) { out.add(id); continue; }
            for (int j = symStart[i]; j < symStart[i] + symLen[i]; j++) out.add(byteToken(text[j]));
        }
    }

    private void tryAddBigram(byte[] text, int left, int right) {
        if (left < 0 || right < 0) return;
        int size = symLen[left] + symLen[right];
        int id = vocab.textTable.get(text, symStart[left], size);
        if (id < 0) return;
        heap.push(vocab.scores[id], left, right, size);
    }

    private int byteToken(byte b) {
        int id = vocab.byteTokens[b & 0xFF];
        if (id >= 0) return id;
        id = vocab.textTable.get(new byte[] {b}, 0, 1);
        if (id >= 0) return id;
        // llama.cpp aborts here; a vocabulary without byte fallback maps the byte to its unknown token instead
        if (vocab.unk >= 0) return vocab.unk;
        throw new TokenizerException(String.format("the vocabulary has no token for byte 0x%02X and no unknown token", b & 0xFF));
    }

    static int utf8Length(byte lead) {
        int high = (lead & 0xFF) >> 4;
        return high < 12 ? 1 : high < 14 ? 2 : high == 14 ? 3 : 4;
    }

    private void ensure(int n) {
        if (n <= symStart.length) return;
        int cap = Math.max(n, symStart.length * 2);
        symStart = java.util.Arrays.copyOf(symStart, cap);
        symLen = java.util.Arrays.copyOf(symLen, cap);
        prev = java.util.Arrays.copyOf(prev, cap);
        next = java.util.Arrays.copyOf(next, cap);
    }

    /** Max-heap of candidate merges by score, then leftmost first, as llama.cpp's {@code llm_bigram_spm} queue. */
    private static final class BigramHeap {
        private float[] score = new float[64];
        private int[] left = new int[64], right = new int[64], size = new int[64];
        private int n;

        void clear() { n = 0; }

        boolean isEmpty() { return n == 0; }

        int topLeft() { return left[0]; }

        int topRight() { return right[0]; }

        int topSize() { return size[0]; }

        private boolean before(int a, int b) {
            return score[a] > score[b] || (score[a] == score[b] && left[a] < left[b]);
        }

        void push(float s, int l, int r, int z) {
            if (n == score.length) {
                int cap = n * 2;
                score = java.util.Arrays.copyOf(score, cap);
                left = java.util.Arrays.copyOf(left, cap);
                right = java.util.Arrays.copyOf(right, cap);
                size = java.util.Arrays.copyOf(size, cap);
            }
            int i = n++;
            set(i, s, l, r, z);
            while (i > 0) {
                int p = (i - 1) >>> 1;
                if (!before(i, p)) break;
                swap(i, p);
                i = p;
            }
        }

        void pop() {
            n--;
            if (n == 0) return;
            set(0, score[n], left[n], right[n], size[n]);
            int i = 0;
            while (true) {
                int l = 2 * i + 1, r = l + 1, best = i;
                if (l < n && before(l, best)) best = l;
                if (r < n && before(r, best)) best = r;
                if (best == i) return;
                swap(i, best);
                i = best;
            }
        }

        private void set(int i, float s, int l, int r, int z) {
            score[i] = s;
            left[i] = l;
            right[i] = r;
            size[i] = z;
        }

        private void swap(int a, int b) {
            float s = score[a]; score[a] = score[b]; score[b] = s;
            int t = left[a]; left[a] = left[b]; left[b] = t;
            t = right[a]; right[a] = right[b]; right[b] = t;
            t = size[a]; size[a] = size[b]; size[b] = t;
        }
    }
}
