package dev.vera4j.engine.backend.cpu;

import dev.vera4j.engine.backend.Batch;
import dev.vera4j.engine.backend.Sequence;
import dev.vera4j.engine.model.Activation;
import dev.vera4j.engine.model.ActivationRecorder;
import dev.vera4j.engine.model.BlockStyle;
import dev.vera4j.engine.model.LinearSite;
import dev.vera4j.engine.model.LinearSite.Kind;
import dev.vera4j.engine.model.ModelWeights;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.engine.model.RopeFrequencies;
import dev.vera4j.simd.Activations;
import dev.vera4j.simd.Elementwise;
import dev.vera4j.simd.Norms;
import dev.vera4j.simd.Rope;
import dev.vera4j.simd.Tanh;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.simd.Weights;

import java.lang.foreign.MemorySegment;

import static dev.vera4j.engine.model.ActivationRecorder.Point.*;

/**
 * The forward pass on the CPU, one for every supported family: pre-norm blocks of grouped-query attention with RoPE
 * and a gated feed-forward network, with each family's differences read from the {@link ModelConfig} as data —
 * scaled embeddings, q/k biases and per-head norms, RoPE per layer (local or global, LongRoPE's factors per
 * sequence), sliding windows and soft-capped scores ({@link Attention}), post-norms, SiLU or GELU, a mixture of
 * experts with an optional shared expert, and soft-capped logits.
 *
 * <p>All the step's tokens, of every sequence, go through each linear layer as one matrix product
 * ({@code MatMul.matMul}: a matrix-vector product for one token); an expert multiplies the rows of the tokens that
 * chose it ({@link ExpertChoice}), so a decode step reads only the chosen experts. Norms, RoPE and activations work
 * row by row; attention, hooks and recorders work per sequence ({@link Attention}, {@link #hooks}, {@link #record}).
 * Immutable; all mutable memory is in {@link CpuActivations} and the caches.
 */
final class Transformer {
    private final ModelConfig c;
    private final BlockStyle style;
    private final ModelWeights w;
    private final WorkerPool pool;
    /** Per layer, a site per kind (expert kinds: per expert, {@code expertSites[l][kind − GATE_EXP][e]}). */
    private final LinearSite[][] sites;
    private final LinearSite[][][] expertSites;
    private final LinearSite outputSite = LinearSite.output();

    Transformer(ModelConfig config, ModelWeights weights, WorkerPool pool) {
        this.c = config;
        this.style = config.style();
        this.w = weights;
        this.pool = pool;
        Kind[] kinds = Kind.values();
        int experts = c.moe() ? c.experts().count() : 0;
        sites = new LinearSite[c.blockCount()][kinds.length];
        expertSites = new LinearSite[c.blockCount()][3][experts];
        for (int l = 0; l < c.blockCount(); l++) {
            for (Kind k : kinds) {
                if (k.expert()) for (int e = 0; e < experts; e++) expertSites[l][k.ordinal() - Kind.GATE_EXP.ordinal()][e] = new LinearSite(l, k, e);
                else if (k != Kind.OUTPUT) sites[l][k.ordinal()] = new LinearSite(l, k);
            }
        }
    }

    /** Embeds the batch's tokens, runs every block, advances the caches and writes the logits the batch asks for. */
    void step(CpuActivations s, Batch b, float[] logits) {
        int dim = c.dim(), n = b.tokenCount();
        float[] x = s.x, xb = s.xb;
        s.matMul.severalSequences(b.size() > 1);
        for (int t = 0; t < n; t++) {
            w.embedding(b.token(t), x, t * dim);
            if (style.embeddingScale() != 1f) Elementwise.scale(x, t * dim, dim, style.embeddingScale());
        }
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
        if (style.finalSoftCap() > 0) Tanh.softCap(logits, 0, b.logitsRows() * c.vocabSize(), style.finalSoftCap());
    }

    /**
     * Block {@code l} over all the batch's rows: {@code s.x} (the residual stream) goes in and comes out updated; the
     * keys and values of the rows are stored at their positions in the caches (which the caller advances).
     */
    void block(CpuActivations s, Batch b, int l) {
        int dim = c.dim(), n = b.tokenCount();
        float[] x = s.x, xb = s.xb;
        ModelWeights.Layer L = w.layer(l);
        record(b, l, BLOCK_INPUT, x, dim);
        // attention: x += [postNorm] Wo · attn(rope(Wq·norm(x)), rope(Wk·norm(x)), Wv·norm(x))
        attention(s, b, l, L);
        if (style.postNorms()) postNorm(b, l, ATTN_OUT, xb, L.attnPostNorm(), n);
        Elementwise.add(x, 0, xb, 0, n * dim);
        // feed-forward: x += [postNorm] FFN(norm(x)), dense or a mixture of experts
        record(b, l, FFN_INPUT, x, dim);
        for (int t = 0; t < n; t++) Norms.rmsNorm(xb, t * dim, x, t * dim, L.ffnNorm(), dim, c.rmsEps());
        record(b, l, FFN_NORM, xb, dim);
        if (L.moe() == null) {
            gatedFfn(s, b, l, xb, L.gate(), L.up(), L.down(), Kind.GATE, style.activation(), s.out);
        } else {
            experts(s, b, l, L.moe());
        }
        if (style.postNorms()) postNorm(b, l, FFN_OUT, s.out, L.ffnPostNorm(), n);
        Elementwise.add(x, 0, s.out, 0, n * dim);
    }

    /** Self-attention of the rows, from {@code s.x} to {@code s.xb} ({@code Wo} times each head's mix of values). */
    private void attention(CpuActivations s, Batch b, int l, ModelWeights.Layer L) {
        int dim = c.dim(), qDim = c.qDim(), kvDim = c.kvDim(), n = b.tokenCount();
        float[] xb = s.xb;
        LinearSite[] site = sites[l];
        for (int t = 0; t < n; t++) Norms.rmsNorm(xb, t * dim, s.x, t * dim, L.attnNorm(), dim, c.rmsEps());
        record(b, l, ATTN_NORM, xb, dim);
        s.matMul.matMul(xb, n, L.wq(), s.q, L.wk(), s.k, L.wv(), s.v);
        finish(b, site[Kind.Q.ordinal()], L.wq(), xb, s.q, L.bq());
        finish(b, site[Kind.K.ordinal()], L.wk(), xb, s.k, L.bk());
        finish(b, site[Kind.V.ordinal()], L.wv(), xb, s.v, L.bv());
        if (c.qkNorm()) {
            record(b, l, Q_RAW, s.q, qDim);
            record(b, l, K_RAW, s.k, kvDim);
            headNorm(s.q, n * c.headCount(), L.qNorm());
            headNorm(s.k, n * c.headCountKv(), L.kNorm());
        }
        for (int e = 0; e < b.size(); e++) {
            HeapKvCache cache = (HeapKvCache) b.sequence(e).cache();
            Rope rope = s.ropes[RopeFrequencies.kind(c, l, cache.capacity()).ordinal()];
            int pos0 = cache.length();
            for (int i = 0, t = b.first(e); i < b.count(e); i++, t++) {
                rope.position(pos0 + i);
                rope.apply(s.q, t * qDim, c.headCount());
                rope.apply(s.k, t * kvDim, c.headCountKv());
                cache.store(l, pos0 + i, s.k, t * kvDim, s.v, t * kvDim);
            }
        }
        record(b, l, Q, s.q, qDim);
        record(b, l, K, s.k, kvDim);
        record(b, l, V, s.v, kvDim);
        s.attention.run(pool, b, l);
        record(b, l, ATTN_MIX, s.mix, qDim);
        linear(s, b, site[Kind.O.ordinal()], L.wo(), s.mix, 0, xb, 0, n);
    }

    /**
     * {@code out = down · (act(gate·in) ⊙ up·in)} for every row of the batch: the dense FFN, or the shared expert
     * (whose sites follow {@code gateKind}: {@code GATE} or {@code GATE_SHEXP}).
     */
    private void gatedFfn(CpuActivations s, Batch b, int l, float[] in, Weights gate, Weights up, Weights down,
                          Kind gateKind, Activation act, float[] out) {
        int n = b.tokenCount(), ff = gate.rows();
        LinearSite[] site = sites[l];
        s.matMul.matMul(in, n, gate, s.gate, up, s.up, null, null);
        finish(b, site[gateKind.ordinal()], gate, in, s.gate, null);
        finish(b, site[gateKind.ordinal() + 1], up, in, s.up, null);
        record(b, l, GATE, s.gate, ff);
        record(b, l, UP, s.up, ff);
        activate(act, s.gate, 0, s.up, 0, n * ff);
        record(b, l, FFN_MIX, s.gate, ff);
        linear(s, b, site[gateKind.ordinal() + 2], down, s.gate, 0, out, 0, n);
    }

    /**
     * The mixture of experts, from {@code s.xb} to {@code s.out}: the router's logits, each token's chosen experts
     * ({@link ExpertChoice}), then per expert the rows of its tokens gathered, its SwiGLU, and its output added to
     * those tokens' rows with their weights; plus the shared expert scaled by {@code σ(w·x)}.
     */
    private void experts(CpuActivations s, Batch b, int l, ModelWeights.ExpertWeights m) {
        int dim = c.dim(), n = b.tokenCount(), used = c.experts().used(), ff = c.experts().feedForwardLength();
        float[] xb = s.xb, out = s.out;
        s.matMul.matMul(m.router(), xb, s.router, n);
        record(b, l, ROUTER, s.router, c.experts().count());
        ExpertChoice choice = s.choice;
        choice.route(s.router, n);
        boolean recording = recording(b);
        if (recording) s.needSlotRows(c);
        java.util.Arrays.fill(out, 0, n * dim, 0f);
        LinearSite[][] site = expertSites[l];
        for (int e = 0; e < c.experts().count(); e++) {
            int g0 = choice.groupStart(e), rows = choice.groupEnd(e) - g0;
            if (rows == 0) continue;
            for (int i = 0; i < rows; i++) System.arraycopy(xb, token(choice, g0 + i) * dim, s.expertIn, i * dim, dim);
            s.matMul.matMul(s.expertIn, rows, m.gate()[e], s.gate, m.up()[e], s.up, null, null);
            expertHooks(b, choice, g0, rows, site[0][e], s.expertIn, s.gate, dim, ff);
            expertHooks(b, choice, g0, rows, site[1][e], s.expertIn, s.up, dim, ff);
            if (recording) toSlots(choice, g0, rows, s.gate, s.slotGate, ff, s.up, s.slotUp, ff);
            Activations.swiglu(s.gate, 0, s.up, 0, rows * ff);
            s.matMul.matMul(m.down()[e], s.gate, 0, s.expertOut, 0, rows);
            expertHooks(b, choice, g0, rows, site[2][e], s.gate, s.expertOut, ff, dim);
            if (recording) toSlots(choice, g0, rows, s.gate, s.slotMix, ff, s.expertOut, s.slotOut, dim);
            for (int i = 0; i < rows; i++) {
                int slot = choice.grouped(g0 + i);
                Elementwise.axpy(choice.weight(slot), s.expertOut, i * dim, out, (slot / used) * dim, dim);
            }
        }
        if (recording) {
            record(b, l, EXPERT_GATE, s.slotGate, used * ff);
            record(b, l, EXPERT_UP, s.slotUp, used * ff);
            record(b, l, EXPERT_MIX, s.slotMix, used * ff);
            record(b, l, EXPERT_OUT, s.slotOut, used * dim);
        }
        if (c.experts().shared()) {
            gatedFfn(s, b, l, xb, m.sharedGate(), m.sharedUp(), m.sharedDown(), Kind.GATE_SHEXP, Activation.SILU, s.expertOut);
            s.matMul.matMul(m.sharedGateInp(), xb, s.sharedLogit, n);
            record(b, l, SHARED_OUT, s.expertOut, dim);
            record(b, l, SHARED_LOGIT, s.sharedLogit, 1);
            for (int t = 0; t < n; t++) {
                Elementwise.axpy(ExpertChoice.sigmoid(s.sharedLogit[t]), s.expertOut, t * dim, out, t * dim, dim);
            }
        }
    }

    private static int token(ExpertChoice choice, int groupedIndex) { return choice.grouped(groupedIndex) / choice.used(); }

    /**
     * The hooks of an expert's site for its {@code rows} gathered rows ({@code in} wide in {@code x}, {@code out}
     * wide in {@code y}): tokens ascend, so each sequence's rows are one run.
     */
    private static void expertHooks(Batch b, ExpertChoice choice, int g0, int rows, LinearSite site, float[] x, float[] y, int in, int out) {
        int i = 0;
        for (int e = 0; e < b.size() && i < rows; e++) {
            Sequence seq = b.sequence(e);
            int end = b.first(e) + b.count(e), from = i;
            while (i < rows && token(choice, g0 + i) < end) i++;
            if (i > from) hooks(seq, site, x, from, y, i - from, in, out);
        }
    }

    /** Copies an expert's gathered rows of {@code a} and {@code b} to their slots' rows in {@code slotA}, {@code slotB}. */
    private static void toSlots(ExpertChoice choice, int g0, int rows, float[] a, float[] slotA, int widthA, float[] b, float[] slotB, int widthB) {
        for (int i = 0; i < rows; i++) {
            int slot = choice.grouped(g0 + i);
            System.arraycopy(a, i * widthA, slotA, slot * widthA, widthA);
            System.arraycopy(b, i * widthB, slotB, slot * widthB, widthB);
        }
    }

    /** In place into {@code gate}: {@code act(gate) ⊙ up}. */
    private static void activate(Activation act, float[] gate, int gOff, float[] up, int uOff, int n) {
        switch (act) {
            case SILU -> Activations.swiglu(gate, gOff, up, uOff, n);
            case GELU_TANH -> Tanh.geluGated(gate, gOff, up, uOff, n);
        }
    }

    /** RMSNorm of each row of {@code y} in place, after recording the rows before it as {@code point}. */
    private void postNorm(Batch b, int l, ActivationRecorder.Point point, float[] y, MemorySegment weight, int n) {
        int dim = c.dim();
        record(b, l, point, y, dim);
        for (int t = 0; t < n; t++) Norms.rmsNorm(y, t * dim, y, t * dim, weight, dim, c.rmsEps());
    }

    /** {@code y = W·x} for {@code n} rows, then every hook's {@code Δy}. */
    private static void linear(CpuActivations s, Batch b, LinearSite site, Weights wt, float[] x, int xOff, float[] y, int yOff, int n) {
        s.matMul.matMul(wt, x, xOff, y, yOff, n);
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
            for (int i = 0; i < width; i++) y[o + i] += b.getAtIndex(ModelWeights.F32, i);
        }
    }

    private void headNorm(float[] v, int heads, MemorySegment weight) {
        int hd = c.headDim();
        for (int h = 0; h < heads; h++) Norms.rmsNorm(v, h * hd, v, h * hd, weight, hd, c.rmsEps());
    }

    private static boolean recording(Batch b) {
        for (int e = 0; e < b.size(); e++) if (b.sequence(e).recorder() != null) return true;
        return false;
    }

    /** Each sequence's recorder, for its rows of {@code data} ({@code width} wide). */
    private static void record(Batch b, int layer, ActivationRecorder.Point p, float[] data, int width) {
        for (int e = 0; e < b.size(); e++) {
            ActivationRecorder r = b.sequence(e).recorder();
            if (r != null) r.record(layer, p, data, b.first(e) * width, b.count(e), width);
        }
    }
}
