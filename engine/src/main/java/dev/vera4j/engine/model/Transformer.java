package dev.vera4j.engine.model;

import dev.vera4j.engine.kv.KvCache;
import dev.vera4j.simd.Activations;
import dev.vera4j.simd.Elementwise;
import dev.vera4j.simd.Norms;
import dev.vera4j.simd.Rope;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.simd.Weights;

import java.lang.foreign.MemorySegment;

import static dev.vera4j.engine.model.ActivationRecorder.Point.*;

/**
 * The llama-family forward pass (llama, mistral, qwen2, qwen3): pre-norm blocks of grouped-query attention with RoPE
 * and a SwiGLU feed-forward network. A batch of tokens goes through each linear layer as one matrix product (prefill);
 * a single token through matrix-vector products (decode). Immutable; all mutable memory is in {@link ForwardState}
 * and {@link KvCache}, so several sessions may share one transformer (one pass at a time per {@link WorkerPool}).
 *
 * <pre>{@code
 * Transformer tf = new Transformer(config, weights, pool);
 * ForwardState s = tf.newState(64, ctx);
 * KvCache cache = KvCache.allocate(KvType.F32, config.blockCount(), ctx, config.kvDim());
 * tf.forward(s, cache, promptIds, 0, promptIds.length, logits, false);   // logits of the last token
 * }</pre>
 */
public final class Transformer {
    private final ModelConfig c;
    private final LlamaWeights w;
    private final WorkerPool pool;
    /** Per rotated pair i: {@code freqScale · base^(-2i/ropeDim) / ropeFreqs[i]}. */
    private final float[] invFreq;
    private final LinearSite[][] sites;
    private final LinearSite outputSite = LinearSite.output();

    public Transformer(ModelConfig config, LlamaWeights weights, WorkerPool pool) {
        this.c = config;
        this.w = weights;
        this.pool = pool;
        float[] divisors = c.ropeScaling().llama3Divisors(c.ropeBase(), c.ropeDim());
        if (w.ropeFreqs() != null) {
            for (int i = 0; i < divisors.length; i++) divisors[i] = w.ropeFreqs().getAtIndex(LlamaWeights.F32, i);
        }
        this.invFreq = Rope.inverseFrequencies(c.ropeDim(), c.ropeBase(), c.ropeFreqScale(), divisors);
        LinearSite.Kind[] kinds = LinearSite.Kind.values();
        sites = new LinearSite[c.blockCount()][kinds.length - 1];
        for (int l = 0; l < c.blockCount(); l++) for (int k = 0; k < kinds.length - 1; k++) sites[l][k] = new LinearSite(l, kinds[k]);
    }

    public ModelConfig config() { return c; }

    public LlamaWeights weights() { return w; }

    public WorkerPool pool() { return pool; }

    /** Scratch memory for passes of at most {@code maxBatch} tokens over a context of {@code maxContext} positions. */
    public ForwardState newState(int maxBatch, int maxContext) { return new ForwardState(this, maxBatch, maxContext, false); }

    /**
     * As {@link #newState(int, int)}; with {@code fixedOrder} every product goes through the many-token GEMM, whose
     * results do not depend on JIT timing (see {@link dev.vera4j.simd.MatMul}): for training, which must resume
     * bit-identically in a new process. Passes of one token are then slower.
     */
    public ForwardState newState(int maxBatch, int maxContext, boolean fixedOrder) {
        return new ForwardState(this, maxBatch, maxContext, fixedOrder);
    }

    /** A rotary embedding of this model's heads; mutable (it holds the current position's tables), one per state. */
    Rope newRope() {
        return new Rope(c.ropeType() == RopeType.NORM ? Rope.Mode.NORM : Rope.Mode.NEOX, c.headDim(), invFreq);
    }

    /**
     * Runs {@code tokens[off .. off+n)} at positions {@code cache.length() ..}, appends their keys and values to the
     * cache, and writes logits: of the last token into {@code logits[0 .. vocab)}, or with {@code allLogits} of every
     * token ({@code logits[t·vocab ..]}).
     *
     * @throws dev.vera4j.engine.kv.ContextOverflowException if the tokens do not fit in the cache
     */
    public void forward(ForwardState s, KvCache cache, int[] tokens, int off, int n, float[] logits, boolean allLogits) {
        if (n < 1 || n > s.maxBatch) throw new IllegalArgumentException("batch of " + n + " tokens; this state takes 1 to " + s.maxBatch);
        cache.ensureRoom(n);
        if (cache.capacity() > s.maxContext) throw new IllegalArgumentException("cache of " + cache.capacity() + " positions exceeds the state's context " + s.maxContext);
        if (logits.length < (allLogits ? n : 1) * c.vocabSize()) throw new IllegalArgumentException("logits array too small");
        int dim = c.dim(), qDim = c.qDim(), kvDim = c.kvDim(), ff = c.feedForwardLength();
        int pos0 = cache.length();
        float[] x = s.x, xb = s.xb;
        for (int t = 0; t < n; t++) w.embedding(tokens[off + t], x, t * dim);
        for (int l = 0; l < c.blockCount(); l++) {
            LlamaWeights.Layer L = w.layer(l);
            LinearSite[] site = sites[l];
            record(s, l, BLOCK_INPUT, x, n, dim);
            // attention: x += Wo · attn(rope(Wq·norm(x)), rope(Wk·norm(x)), Wv·norm(x))
            for (int t = 0; t < n; t++) Norms.rmsNorm(xb, t * dim, x, t * dim, L.attnNorm(), dim, c.rmsEps());
            record(s, l, ATTN_NORM, xb, n, dim);
            s.matMul.matMul(xb, n, L.wq(), s.q, L.wk(), s.k, L.wv(), s.v);
            finish(s, site[0], L.wq(), xb, s.q, n, L.bq());
            finish(s, site[1], L.wk(), xb, s.k, n, L.bk());
            finish(s, site[2], L.wv(), xb, s.v, n, L.bv());
            if (c.qkNorm()) {
                record(s, l, Q_RAW, s.q, n, qDim);
                record(s, l, K_RAW, s.k, n, kvDim);
                headNorm(s.q, n * c.headCount(), L.qNorm());
                headNorm(s.k, n * c.headCountKv(), L.kNorm());
            }
            for (int t = 0; t < n; t++) {
                s.rope.position(pos0 + t);
                s.rope.apply(s.q, t * qDim, c.headCount());
                s.rope.apply(s.k, t * kvDim, c.headCountKv());
                cache.store(l, pos0 + t, s.k, t * kvDim, s.v, t * kvDim);
            }
            record(s, l, Q, s.q, n, qDim);
            record(s, l, K, s.k, n, kvDim);
            record(s, l, V, s.v, n, kvDim);
            attend(s, cache, l, pos0, n);
            record(s, l, ATTN_MIX, s.mix, n, qDim);
            linear(s, site[3], L.wo(), s.mix, xb, n, null);
            Elementwise.add(x, 0, xb, 0, n * dim);
            // feed-forward: x += Wdown · (silu(Wgate·norm(x)) * Wup·norm(x))
            record(s, l, FFN_INPUT, x, n, dim);
            for (int t = 0; t < n; t++) Norms.rmsNorm(xb, t * dim, x, t * dim, L.ffnNorm(), dim, c.rmsEps());
            record(s, l, FFN_NORM, xb, n, dim);
            s.matMul.matMul(xb, n, L.gate(), s.gate, L.up(), s.up, null, null);
            finish(s, site[4], L.gate(), xb, s.gate, n, null);
            finish(s, site[5], L.up(), xb, s.up, n, null);
            record(s, l, GATE, s.gate, n, ff);
            record(s, l, UP, s.up, n, ff);
            Activations.swiglu(s.gate, 0, s.up, 0, n * ff);
            record(s, l, FFN_MIX, s.gate, n, ff);
            linear(s, site[6], L.down(), s.gate, xb, n, null);
            Elementwise.add(x, 0, xb, 0, n * dim);
        }
        cache.advance(n);
        int first = allLogits ? 0 : n - 1, m = n - first;
        for (int t = 0; t < m; t++) Norms.rmsNorm(xb, t * dim, x, (first + t) * dim, w.outputNorm(), dim, c.rmsEps());
        record(s, LinearSite.OUTPUT_LAYER, FINAL_NORM, xb, m, dim);
        linear(s, outputSite, w.output(), xb, logits, m, null);
    }

    /** {@code y = W·x (+ b)} for {@code n} tokens, then every hook's {@code Δy}. */
    private static void linear(ForwardState s, LinearSite site, Weights wt, float[] x, float[] y, int n, MemorySegment bias) {
        s.matMul.matMul(wt, x, y, n);
        finish(s, site, wt, x, y, n, bias);
    }

    /** Adds the bias and every hook's {@code Δy} to {@code y = W·x}. */
    private static void finish(ForwardState s, LinearSite site, Weights wt, float[] x, float[] y, int n, MemorySegment bias) {
        if (bias != null) addBias(y, bias, n, wt.rows());
        LinearHook[] hooks = s.hooks;
        for (LinearHook h : hooks) h.addDelta(site, x, 0, y, 0, n, wt.cols(), wt.rows());
    }

    /** {@code y[t·width + i] += b[i]} for each of {@code n} rows (qwen2's q/k/v biases; not on the hot path of llama). */
    private static void addBias(float[] y, MemorySegment b, int n, int width) {
        for (int t = 0; t < n; t++) {
            int o = t * width;
            for (int i = 0; i < width; i++) y[o + i] += b.getAtIndex(LlamaWeights.F32, i);
        }
    }

    private void headNorm(float[] v, int heads, MemorySegment weight) {
        int hd = c.headDim();
        for (int h = 0; h < heads; h++) Norms.rmsNorm(v, h * hd, v, h * hd, weight, hd, c.rmsEps());
    }

    private void attend(ForwardState s, KvCache cache, int layer, int pos0, int n) {
        ForwardState.AttentionTask a = s.attention;
        a.cache = cache;
        a.layer = layer;
        a.startPos = pos0;
        a.n = n;
        a.headDim = c.headDim();
        a.qDim = c.qDim();
        a.group = c.groupSize();
        a.scale = (float) (1.0 / Math.sqrt(c.headDim()));
        pool.parallelFor(a.count(c.headCount(), c.headCountKv()), a);
        a.cache = null;
    }

    private static void record(ForwardState s, int layer, ActivationRecorder.Point p, float[] data, int n, int width) {
        if (s.recorder != null) s.recorder.record(layer, p, data, 0, n, width);
    }
}
