package dev.vera4j.engine.tokenizer;

import java.util.Arrays;

/**
 * Byte-level BPE as llama.cpp's {@code llm_tokenizer_bpe_session} runs it: the pre-tokenizer cuts the text into words;
 * within each word, start from single bytes and keep merging the adjacent pair with the lowest merge rank (leftmost
 * on ties); a final piece that is not a token is spelled byte by byte.
 *
 * <p>One instance holds the working arrays of one call; it is not thread-safe.
 */
final class BpeEncoder {
    private final Vocab vocab;
    private final BpeMerges merges;
    /** For each raw byte, the tokens llama.cpp falls back to: one per UTF-8 byte of the byte's GPT-2 spelling that is a token on its own. */
    private final int[][] byteFallback;

    private int[] cps = new int[64], cpByte = new int[65];
    private final IntList words = new IntList(64), scratch = new IntList(64);
    private int[] symStart = new int[64], symLen = new int[64], symId = new int[64], prev = new int[64], next = new int[64];
    private long[] heapKey = new long[64];
    private int[] heapRight = new int[64], heapSize = new int[64];
    private int heapN;

    BpeEncoder(Vocab vocab, BpeMerges merges, int[][] byteFallback) {
        this.vocab = vocab;
        this.merges = merges;
        this.byteFallback = byteFallback;
    }

    /** The fallback table for {@link #BpeEncoder}; built once per vocabulary. */
    static int[][] byteFallback(ByteStringTable textTable) {
        int[][] table = new int[256][];
        for (int b = 0; b < 256; b++) {
            byte[] spelled = Utf8.encode(Character.toString(GptBytes.codepoint(b)));
            IntList ids = new IntList(2);
            for (byte e : spelled) {
                int id = textTable.get(new byte[] {e}, 0, 1);
                if (id >= 0) ids.add(id);
            }
            table[b] = ids.toArray();
        }
        return table;
    }

    /** Appends the tokens of {@code text[off, off+len)} (valid UTF-8) to {@code out}. */
    void encode(byte[] text, int off, int len, IntList out) {
        int n = decodeCodepoints(text, off, len);
        vocab.pre.split(cps, n, words, scratch);
        int cp = 0;
        for (int w = 0; w < words.size(); w++) {
            int wl = words.get(w);
            int from = off + cpByte[cp], to = off + cpByte[cp + wl];
            cp += wl;
            encodeWord(text, from, to - from, out);
        }
    }

    private int decodeCodepoints(byte[] text, int off, int len) {
        if (cps.length < len) {
            cps = new int[len];
            cpByte = new int[len + 1];
        }
        int n = 0;
        for (int i = off, end = off + len; i < end; n++) {
            cpByte[n] = i - off;
            int lead = text[i] & 0xFF;
            int l = SpmEncoder.utf8Length(text[i]);
            int c = switch (l) {
                case 1 -> lead;
                case 2 -> ((lead & 0x1F) << 6) | (text[i + 1] & 0x3F);
                case 3 -> ((lead & 0x0F) << 12) | ((text[i + 1] & 0x3F) << 6) | (text[i + 2] & 0x3F);
                default -> ((lead & 0x07) << 18) | ((text[i + 1] & 0x3F) << 12) | ((text[i + 2] & 0x3F) << 6) | (text[i + 3] & 0x3F);
            };
            cps[n] = c;
            i += l;
        }
        cpByte[n] = len;
        return n;
    }

    private void encodeWord(byte[] text, int off, int len, IntList out) {
        if (vocab.pre.ignoreMerges()) {
            int whole = merges.stringId(text, off, len);
            if (merges.isToken(whole)) { out.add(whole); return; }
        }
        ensure(len);
        for (int i = 0; i < len; i++) {
            symStart[i] = off + i;
            symLen[i] = 1;
            symId[i] = merges.stringId(text, off + i, 1);
            prev[i] = i - 1;
            next[i] = i + 1 < len ? i + 1 : -1;
        }
        heapN = 0;
        for (int i = 1; i < len; i++) addBigram(i - 1, i);
        while (heapN > 0) {
            int left = (int) heapKey[0], right = heapRight[0], size = heapSize[0];
            pop();
            if (symLen[left] == 0 || symLen[right] == 0 || symLen[left] + symLen[right] != size) continue;
            symId[left] = (int) merges.lookup(symId[left], symId[right]);
            symLen[left] += symLen[right];
            symLen[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            addBigram(prev[left], left);
            addBigram(left, next[left]);
        }
        for (int i = 0; i != -1; i = next[i]) {
            if (merges.isToken(symId[i])) { out.add(symId[i]); continue; }
            for (int j = symStart[i]; j < symStart[i] + symLen[i]; j++) {
                for (int id : byteFallback[text[j] & 0xFF]) out.add(id);
            }
        }
    }

    private void addBigram(int left, int right) {
        if (left < 0 || right < 0) return;
        long v = merges.lookup(symId[left], symId[right]);
        if (v < 0) return;
        push(((v >>> 32) << 32) | left, right, symLen[left] + symLen[right]);
    }

    // min-heap on (rank << 32 | left index): lowest rank first, then leftmost, as llama.cpp's llm_bigram_bpe queue
    private void push(long key, int right, int size) {
        if (heapN == heapKey.length) {
            heapKey = Arrays.copyOf(heapKey, heapN * 2);
            heapRight = Arrays.copyOf(heapRight, heapN * 2);
            heapSize = Arrays.copyOf(heapSize, heapN * 2);
        }
        int i = heapN++;
        while (i > 0) {
            int p = (i - 1) >>> 1;
            if (heapKey[p] <= key) break;
            heapKey[i] = heapKey[p];
            heapRight[i] = heapRight[p];
            heapSize[i] = heapSize[p];
            i = p;
        }
        heapKey[i] = key;
        heapRight[i] = right;
        heapSize[i] = size;
    }

    private void pop() {
        heapN--;
        if (heapN == 0) return;
        long key = heapKey[heapN];
        int right = heapRight[heapN], size = heapSize[heapN];
        int i = 0;
        while (true) {
            int c = 2 * i + 1;
            if (c >= heapN) break;
            if (c + 1 < heapN && heapKey[c + 1] < heapKey[c]) c++;
            if (heapKey[c] >= key) break;
            heapKey[i] = heapKey[c];
            heapRight[i] = heapRight[c];
            heapSize[i] = heapSize[c];
            i = c;
        }
        heapKey[i] = key;
        heapRight[i] = right;
        heapSize[i] = size;
    }

    private void ensure(int n) {
        if (n <= symStart.length) return;
        int cap = Math.max(n, symStart.length * 2);
        symStart = Arrays.copyOf(symStart, cap);
        symLen = Arrays.copyOf(symLen, cap);
        symId = Arrays.copyOf(symId, cap);
        prev = Arrays.copyOf(prev, cap);
        next = Arrays.copyOf(next, cap);
    }
}
