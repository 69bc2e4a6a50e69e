package dev.vera4j.engine.backend.cpu;

import dev.vera4j.engine.backend.Batch;
import dev.vera4j.engine.backend.Sequence;
import dev.vera4j.engine.model.ActivationRecorder;
import dev.vera4j.engine.model.LinearHook;
import dev.vera4j.engine.model.LinearSite;
import dev.vera4j.engine.model.LlamaWeights;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.simd.Activations;
import dev.vera4j.simd.Elementwise;
import dev.vera4j.simd.Norms;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.simd.Weights;

import java.lang.foreign.MemorySegment;

import static dev.vera4j.engine.model.ActivationRecorder.Point.*;

/**
 * The llama-family forward pass (llama, mistral, qwen2, qwen3) on the CPU: pre-norm blocks of grouped-query attention
 * with RoPE and a SwiGLU feed-forward network. All the step's tokens, of every sequence, go through each linear layer
 * as one matrix product ({@code MatMul.matMul}: a matrix-vector product for one token); norms, RoPE and SwiGLU work row
 * by row; attention, hooks and recorders work per sequence ({@link Attention}, {@link #finish}, {@link #record}).
 * Immutable; all mutable memory is in {@link CpuActivations} and the caches.
 */
final class Transformer {
    private final ModelConfig c;
    private final LlamaWeights w;
    private final WorkerPool pool;
    private final LinearSite[][] sites;
    private final LinearSite outputSite = LinearSite.output();

    Transformer(ModelConfig config, LlamaWeights weights, WorkerPool pool) {
        this.c = config;
        this.w = weights;
        this.pool = pool;
        LinearSite.Kind[] kinds = LinearSite.Kind.values();
        sites = new LinearSite[c.blockCount()][kinds.length - 1];
        for (int l = 0; l < c.blockCount(); l++) for (int k = 0; k < kinds.length - 1; k++) sites[l][k] = new LinearSite(l, kinds[k]);
    }

    /** Embeds the batch's tokens, runs every block, advances the caches and writes the logits the batch asks for. */
    void step(CpuActivations s, Batch b, float[] logits) {
        int dim = c.dim(), n = b.tokenCount();
        float[] x = s.x, xb = s.xb;
        for (int t = 0; t < n; t++) w.embedding(b.token(t), x, t * dim);
        for (int l = 0; l < c.blockCount(); l++) block(s, b, l);
        for (int e = 0; e < b.size(); e++) b.sequence(e).cache().advance(b.count(e));
        // the rows that give logits, packed in the batch's order: each entry's last token, or all of its tokens
        for (int e = 0; e < b.size(); e++) {
            int rows = b.logitsCount(e), from = b.first(e) + b.count(e) - rows, to = b.logitsRow(e);
            ActivationRecorder r = b.sequence(e).recorder();
            if (r != null) r.record(LinearSite.OUTPUT_LAYER, FINAL_INPUT, x, from * dim, rows, dim);
            for (int t = 0; t < rows; t++) Norms.rmsNorm(xb, (to + t) * dim, x, (from + t) * dim, w.outputNorm(), dim, c.rmsEps());
            if (r != null) r.record(LinearSite.OUTPUT_LAYER, FINAL_NORM, xb, to * dim, rows, dim);
        }
        Weights out = w.output();
        s.matMul.matMul(out, xb, logits, b.logitsRows());
        for (int e = 0; e < b.size(); e++) hooks(b.sequence(e), outputSite, xb, b.logitsRow(e), logits, b.logitsCount(e), out.cols(), out.rows());
    }

    /**
     * Block {@code l} over all the batch's rows: {@code s.x} (the residual stream) goes in and comes out updated; the
     * keys and values of the rows are stored at their positions in the caches (which the caller advances).
     */
    void block(CpuActivations s, Batch b, int l) {
        int dim = c.dim(), qDim = c.qDim(), kvDim = c.kvDim(), ff = c.feedForwardLength(), n = b.tokenCount();
        float[] x = s.x, xb = s.xb;
        LlamaWeights.Layer L = w.layer(l);
        LinearSite[] site = sites[l];
        record(b, l, BLOCK_INPUT, x, dim);
        // attention: x += Wo · attn(rope(Wq·norm(x)), rope(Wk·norm(x)), Wv·norm(x))
        for (int t = 0; t < n; t++) Norms.rmsNorm(xb, t * dim, x, t * dim, L.attnNorm(), dim, c.rmsEps());
        record(b, l, ATTN_NORM, xb, dim);
        s.matMul.matMul(xb, n, L.wq(), s.q, L.wk(), s.k, L.wv(), s.v);
        finish(b, site[0], L.wq(), xb, s.q, L.bq());
        finish(b, site[1], L.wk(), xb, s.k, L.bk());
        finish(b, site[2], L.wv(), xb, s.v, L.bv());
        if (c.qkNorm()) {
            record(b, l, Q_RAW, s.q, qDim);
            record(b, l, K_RAW, s.k, kvDim);
            headNorm(s.q, n * c.headCount(), L.qNorm());
            headNorm(s.k, n * c.headCountKv(), L.kNorm());
        }
        for (int e = 0; e < b.size(); e++) {
            HeapKvCache cache = (HeapKvCache) b.sequence(e).cache();
            int pos0 = cache.length();
            for (int i = 0, t = b.first(e); i < b.count(e); i++, t++) {
                s.rope.position(pos0 + i);
                s.rope.apply(s.q, t * qDim, c.headCount());
                s.rope.apply(s.k, t * kvDim, c.headCountKv());
                cache.store(l, pos0 + i, s.k, t * kvDim, s.v, t * kvDim);
            }
        }
        record(b, l, Q, s.q, qDim);
        record(b, l, K, s.k, kvDim);
        record(b, l, V, s.v, kvDim);
        s.attention.run(pool, b, l);
        record(b, l, ATTN_MIX, s.mix, qDim);
        linear(s, b, site[3], L.wo(), s.mix, xb);
        Elementwise.add(x, 0, xb, 0, n * dim);
        // feed-forward: x += Wdown · (silu(Wgate·norm(x)) * Wup·norm(x))
        record(b, l, FFN_INPUT, x, dim);
        for (int t = 0; t < n; t++) Norms.rmsNorm(xb, t * dim, x, t * dim, L.ffnNorm(), dim, c.rmsEps());
        record(b, l, FFN_NORM, xb, dim);
        s.matMul.matMul(xb, n, L.gate(), s.gate, L.up(), s.up, null, null);
        finish(b, site[4], L.gate(), xb, s.gate, null);
        finish(b, site[5], L.up(), xb, s.up, null);
        record(b, l, GATE, s.gate, ff);
        record(b, l, UP, s.up, ff);
        Activations.swiglu(s.gate, 0, s.up, 0, n * ff);
        record(b, l, FFN_MIX, s.gate, ff);
        linear(s, b, site[6], L.down(), s.gate, xb);
        Elementwise.add(x, 0, xb, 0, n * dim);
    }

    /** {@code y = W·x} for all the batch's rows, then every hook's {@code Δy}. */
    private static void linear(CpuActivations s, Batch b, LinearSite site, Weights wt, float[] x, float[] y) {
        s.matMul.matMul(wt, x, y, b.tokenCount());
        finish(b, site, wt, x, y, null);
    }

    /** Adds the bias to {@code y = W·x}, then each sequence's hooks add their {@code Δy} to its rows. */
    private static void finish(Batch b, LinearSite site, Weights wt, float[] x, float[] y, MemorySegment bias) {
        if (bias != null) addBias(y, bias, b.tokenCount(), wt.rows());
        for (int e = 0; e < b.size(); e++) hooks(b.sequence(e), site, x, b.first(e), y, b.count(e), wt.cols(), wt.rows());
    }

    /** The sequence's hooks for its {@code n} rows from {@code row} of {@code x} ({@code in} wide) and {@code y}. */
    private static void hooks(Sequence seq, LinearSite site, float[] x, int row, float[] y, int n, int in, int out) {
        for (int h = 0; h < seq.hookCount(); h++) seq.hook(h).addDelta(site, x, row * in, y, row * out, n, in, out);
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

    /** Each sequence's recorder, for its rows of {@code data} ({@code width} wide). */
    private static void record(Batch b, int layer, ActivationRecorder.Point p, float[] data, int width) {
        for (int e = 0; e < b.size(); e++) {
            ActivationRecorder r = b.sequence(e).recorder();
            if (r != null) r.record(layer, p, data, b.first(e) * width, b.count(e), width);
        }
    }
}
