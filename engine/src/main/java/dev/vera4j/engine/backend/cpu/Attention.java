package dev.vera4j.engine.backend.cpu;

import dev.vera4j.engine.backend.Batch;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.simd.AttentionRows;
import dev.vera4j.simd.RangeTask;
import dev.vera4j.simd.Softmax;
import dev.vera4j.simd.Tanh;
import dev.vera4j.simd.WorkerPool;

/**
 * Causal grouped-query attention of one layer for every sequence of a step, each against its own KV cache, as one job
 * split over the threads; its parameters are fields so that running it allocates nothing. It reads the step's rotated
 * queries ({@code q}) and writes each query head's mix of values ({@code mix}), both {@code tokens × qDim}.
 *
 * <p>A query at position {@code i} sees the keys at positions {@code from(i) .. i}: all of them, or in a layer with a
 * sliding window of {@code w} the last {@code w} ({@code from(i) = max(0, i − w + 1)}). Scores are
 * {@code scale · q·k} ({@link dev.vera4j.engine.model.BlockStyle#attentionScale}), soft-capped to
 * {@code cap·tanh(s/cap)} when the model caps them (Gemma 2), then softmaxed.
 *
 * <p>A sequence with one token (decode) takes the cache's own products: one work item per query head, which runs that
 * head of every decoding sequence in turn. A sequence with several tokens (prefill) goes by kv head and block of
 * {@link #TOKEN_BLOCK} tokens: the positions the block's tokens see of the kv head's keys and values are copied as
 * floats once (keys transposed) into the thread's scratch, then each query head of the group and each token of the
 * block meets them in {@link AttentionRows}. Threads own disjoint outputs, so the split does not change the results.
 */
final class Attention implements RangeTask {
    static final int TOKEN_BLOCK = 32;

    private final ModelConfig c;
    private final int heads, kvHeads, headDim, qDim, group, maxContext;
    private final float scale, softCap;
    private final float[] q, mix;
    /** Softmax rows of the decode items: one per query head, reused for each decoding sequence of that head. */
    private final float[] att;
    /** Per thread, allocated on the first prefill that thread runs. */
    private final ThreadLocal<Scratch> scratch;
    /** Entries of the step that decode one token. */
    private final int[] decoding;
    /** Entries that prefill, their token blocks, and the first work item of each. */
    private final int[] prefilling, blocks, firstItem;
    private Batch batch;
    private int layer, window, decodes, prefills, decodeItems;

    Attention(ModelConfig c, int maxTokens, int maxContext, float[] q, float[] mix) {
        this.c = c;
        this.heads = c.headCount();
        this.kvHeads = c.headCountKv();
        this.headDim = c.headDim();
        this.qDim = c.qDim();
        this.group = c.groupSize();
        this.maxContext = maxContext;
        this.scale = c.style().attentionScale();
        this.softCap = c.style().attnSoftCap();
        this.q = q;
        this.mix = mix;
        this.att = new float[heads * maxContext];
        int hd = headDim;
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(new float[hd * maxContext], new float[maxContext * hd], new float[maxContext]));
        this.decoding = new int[maxTokens];
        this.prefilling = new int[maxTokens];
        this.blocks = new int[maxTokens];
        this.firstItem = new int[maxTokens + 1];
    }

    /** Attention of {@code layer} for every entry of {@code b}, whose keys and values are in their caches already. */
    void run(WorkerPool pool, Batch b, int layer) {
        this.batch = b;
        this.layer = layer;
        this.window = c.window().of(layer);
        decodes = 0;
        prefills = 0;
        for (int e = 0; e < b.size(); e++) {
            if (b.count(e) == 1) decoding[decodes++] = e;
        }
        decodeItems = decodes > 0 ? heads : 0;
        int items = decodeItems;
        for (int e = 0; e < b.size(); e++) {
            if (b.count(e) == 1) continue;
            prefilling[prefills] = e;
            blocks[prefills] = (b.count(e) + TOKEN_BLOCK - 1) / TOKEN_BLOCK;
            firstItem[prefills] = items;
            items += kvHeads * blocks[prefills];
            prefills++;
        }
        firstItem[prefills] = items;
        pool.parallelFor(items, this);
        this.batch = null;
    }

    @Override
    public void run(int start, int end) {
        int p = 0;
        for (int i = start; i < end; i++) {
            if (i < decodeItems) {
                for (int d = 0; d < decodes; d++) single(decoding[d], i);
                continue;
            }
            while (i >= firstItem[p + 1]) p++;
            int local = i - firstItem[p];
            block(prefilling[p], local / blocks[p], local % blocks[p] * TOKEN_BLOCK);
        }
    }

    /** The first position a query at {@code pos} sees. */
    private int from(int pos) { return window > 0 ? Math.max(0, pos - window + 1) : 0; }

    /** Scores of {@code n} positions at {@code s[off]} to attention weights: soft-cap, then softmax. */
    private void weights(float[] s, int off, int n) {
        if (softCap > 0) Tanh.softCap(s, off, n, softCap);
        Softmax.softmax(s, off, n);
    }

    /** Query head {@code h} of the one token of entry {@code e}. */
    private void single(int e, int h) {
        HeapKvCache cache = (HeapKvCache) batch.sequence(e).cache();
        int kvOff = (h / group) * headDim, attOff = h * maxContext, qOff = batch.first(e) * qDim + h * headDim;
        int pos = cache.length(), from = from(pos);
        cache.keyScores(layer, kvOff, q, qOff, headDim, from, pos + 1, scale, att, attOff);
        weights(att, attOff, pos + 1 - from);
        cache.mixValues(layer, kvOff, att, attOff, from, pos + 1, mix, qOff, headDim);
    }

    /** Kv head {@code kvHead}'s query heads for tokens {@code t0 ..} (a block) of entry {@code e}. */
    private void block(int e, int kvHead, int t0) {
        HeapKvCache cache = (HeapKvCache) batch.sequence(e).cache();
        int startPos = cache.length(), row0 = batch.first(e);
        int t1 = Math.min(batch.count(e), t0 + TOKEN_BLOCK), seen = startPos + t1, kvOff = kvHead * headDim;
        int lo = from(startPos + t0);   // the first position any token of the block sees
        Scratch sc = scratch.get();
        cache.keysTransposed(layer, kvOff, headDim, lo, seen, sc.keys, maxContext);
        cache.values(layer, kvOff, headDim, lo, seen, sc.values);
        for (int h = kvHead * group; h < (kvHead + 1) * group; h++) {
            for (int t = t0; t < t1; t++) {
                int qOff = (row0 + t) * qDim + h * headDim, pos = startPos + t, from = from(pos), n = pos + 1 - from;
                AttentionRows.scores(q, qOff, headDim, sc.keys, from - lo, maxContext, n, scale, sc.scores, 0);
                weights(sc.scores, 0, n);
                AttentionRows.mix(sc.scores, 0, n, sc.values, (from - lo) * headDim, headDim, mix, qOff);
            }
        }
    }

    /** One thread's copy of a kv head (keys transposed, values) and a row of scores, for prefill. */
    private record Scratch(float[] keys, float[] values, float[] scores) {}
}
