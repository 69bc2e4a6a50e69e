package dev.vera4j.vera.train;

import dev.vera4j.engine.backend.Batch;
import dev.vera4j.engine.backend.Sequence;
import dev.vera4j.engine.backend.cpu.CpuActivations;
import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.backend.cpu.ExpertChoice;
import dev.vera4j.engine.kv.KvCache;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.Activation;
import dev.vera4j.engine.model.ActivationRecorder;
import dev.vera4j.engine.model.ActivationRecorder.Point;
import dev.vera4j.engine.model.LinearSite.Kind;
import dev.vera4j.engine.model.ModelWeights;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.simd.Weights;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.vera.VeraAdapter;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;

import static dev.vera4j.engine.model.ActivationRecorder.Point.*;

/**
 * Loss and gradients of a causal language model for one sequence, with respect to the λ vectors of a VeRA adapter
 * only. The forward pass is the engine's own (a step of the {@link CpuBackend} with the adapter hooked into the
 * sequence and an {@link ActivationRecorder} keeping each block's activations); the backward pass then goes through
 * the (soft-capped) logits, the output projection and final RMSNorm, and per block (last first) through the
 * feed-forward network — dense SwiGLU or GeGLU, or routed experts ({@link ExpertGradients}) with a gated shared expert
 * — and the post-norms where the model has them, the FFN's RMSNorm, causal grouped-query attention with RoPE
 * ({@link AttentionGradients}: sliding windows, soft-capped scores), per-head q/k norms and the attention RMSNorm,
 * adding the residual gradients. Frozen weights are only read row by row ({@link TransposedProduct}); the adapter's
 * part of each projection contributes to the input gradient and to {@code ∂L/∂λ_b}, {@code ∂L/∂λ_d}, which accumulate
 * in {@link TrainableLambdas} (a fused module's parts, Phi-3's q, k and v, add to one λ_d).
 *
 * <p>The loss is the summed cross-entropy of the masked next-token predictions; gradients are scaled by the caller's
 * factor (1 / tokens of the whole batch gives the batch mean). All memory is allocated up front for sequences of up to
 * {@code maxSeq} tokens; {@link #run} allocates nothing.
 *
 * <pre>{@code
 * Backward bw = new Backward((CpuBackend) model.backend(), lambdas, 256);
 * lambdas.zeroGrad();
 * double sum = bw.run(tokens, n, mask, 1f / maskedCount);   // tokens[0..n]: inputs [0,n), targets [1,n]
 * }</pre>
 */
public final class Backward implements BatchGradients {
    private static final Point[] POINTS = Point.values();
    private static final Kind[] KINDS = Kind.values();

    private final CpuBackend backend;
    private final ModelConfig c;
    private final ModelWeights w;
    private final WorkerPool pool;
    private final Trainable params;
    private final int maxSeq;
    private final CpuActivations activations;
    private final Sequence sequence;
    private final Batch batch;
    private final TransposedProduct tp;
    private final float[][][] acts;
    private final float[] logits, capSlope, xFinal;
    private final float[] dx, dh, dq, dk, dv, dmix, dnorm, dff, dg, du, dy, dhf, dShared, dGateLogit;
    private final SiteBackward sites;
    /** The adapter's dropout ({@code null}: none): on in {@link #run}, off in {@link #loss}. */
    private final Dropout dropout;
    private final RopeTable ropeTable;
    private final AttentionGradients attention;
    private final ExpertGradients experts;
    /** Keep only each block's input and recompute the rest of a block just before its backward pass. */
    private final boolean recompute;
    /** Whether the recorder now sees a recomputed block rather than the forward pass. */
    private boolean recomputing;

    /** Prepares activations, a KV cache and gradient buffers for sequences of up to {@code maxSeq} tokens. */
    public Backward(CpuBackend backend, Trainable params, int maxSeq) { this(backend, params, maxSeq, false); }

    /**
     * @param recompute gradient checkpointing: keep only each block's input (one {@code n x dim} array per block
     *                  instead of every recorded point) and recompute the block's activations when the backward pass
     *                  reaches it, by running that block of the engine again ({@link CpuBackend#block}), at the cost of
     *                  a second forward pass
     */
    public Backward(CpuBackend backend, Trainable params, int maxSeq, boolean recompute) {
        this.recompute = recompute;
        this.backend = backend;
        this.c = backend.config();
        this.w = backend.weights();
        this.pool = backend.pool();
        this.params = params;
        this.maxSeq = maxSeq;
        if (maxSeq < 1) throw new IllegalArgumentException("sequence length must be positive, got " + maxSeq);
        int dim = c.dim(), qDim = c.qDim(), kvDim = c.kvDim(), ff = c.maxFeedForward(), L = c.blockCount();
        activations = backend.newActivations(maxSeq, maxSeq, true);
        sequence = new Sequence(backend.newCache(KvType.F32, maxSeq));
        sequence.addHook(params.newHook(maxSeq, pool));
        sequence.recorder(this::record);
        batch = new Batch(maxSeq);
        tp = new TransposedProduct(pool, Math.max(dim, Math.max(qDim, ff)));
        acts = new float[POINTS.length][L][];
        for (Point pt : POINTS) {
            int width = width(c, pt);
            if (width == 0) continue;
            int kept = recompute && pt != BLOCK_INPUT ? 1 : L;   // checkpointing: one shared slot
            for (int l = 0; l < L; l++) acts[pt.ordinal()][l] = l < kept ? new float[maxSeq * width] : acts[pt.ordinal()][0];
        }
        logits = new float[maxSeq * c.vocabSize()];
        capSlope = new float[c.style().finalSoftCap() > 0 ? maxSeq * c.vocabSize() : 0];
        xFinal = new float[maxSeq * dim];
        dx = new float[maxSeq * dim];
        dh = new float[maxSeq * dim];
        dy = new float[maxSeq * dim];
        dhf = new float[maxSeq * dim];
        dShared = new float[c.moe() && c.experts().shared() ? maxSeq * dim : 0];
        dGateLogit = new float[c.moe() && c.experts().shared() ? maxSeq : 0];
        dq = new float[maxSeq * qDim];
        dk = new float[maxSeq * kvDim];
        dv = new float[maxSeq * kvDim];
        dmix = new float[maxSeq * qDim];
        dnorm = new float[c.qkNorm() ? maxSeq * qDim : 0];
        dff = new float[maxSeq * ff];
        dg = new float[maxSeq * ff];
        du = new float[maxSeq * ff];
        sites = params.newBackward(pool);
        dropout = params.dropout();
        ropeTable = new RopeTable(c, w, maxSeq);
        attention = new AttentionGradients(c, maxSeq);
        experts = c.moe() ? new ExpertGradients(c, maxSeq, tp, sites) : null;
    }

    /** Floats per token the trainer keeps of {@code point} for a model of configuration {@code c} (0: not recorded or not kept). */
    private static int width(ModelConfig c, Point point) {
        if (!point.recordedBy(c)) return 0;
        int ff = c.moe() ? c.experts().sharedFeedForwardLength() : c.feedForwardLength();
        return switch (point) {
            case BLOCK_INPUT, ATTN_NORM, FFN_INPUT, FFN_NORM, ATTN_OUT, FFN_OUT, SHARED_OUT -> c.dim();
            case Q, ATTN_MIX, Q_RAW -> c.qDim();
            case K, V, K_RAW -> c.kvDim();
            case GATE, UP, FFN_MIX -> ff;
            case ROUTER -> c.experts().count();
            case EXPERT_GATE, EXPERT_UP, EXPERT_MIX -> c.experts().used() * c.experts().feedForwardLength();
            case EXPERT_OUT -> c.experts().used() * c.dim();
            case SHARED_LOGIT -> 1;
            case FINAL_INPUT, FINAL_NORM -> 0;   // the final norm's input is kept apart, its output is not needed
        };
    }

    /**
     * Bytes of the buffers a trainer for {@code maxSeq} tokens holds (activations, gradients, logits, cache), with or
     * without {@code recompute} (gradient checkpointing).
     */
    public static long bytesFor(ModelConfig c, int maxSeq, boolean recompute) {
        long perLayer = 0;
        for (Point p : POINTS) perLayer += width(c, p);
        long dim = c.dim(), q = c.qDim(), kv = c.kvDim(), ff = c.maxFeedForward();
        long kept = recompute ? dim * c.blockCount() + perLayer - dim : perLayer * c.blockCount();
        long vocab = c.vocabSize() * (c.style().finalSoftCap() > 0 ? 2L : 1L);
        long floats = kept + 6 * dim + vocab + 2 * q + 2 * kv + 3 * ff + (c.qkNorm() ? q : 0);
        long state = 3 * dim + q * 3 + 2 * kv + 2 * ff;   // the engine's forward scratch
        return 4 * maxSeq * (floats + state) + KvCache.bytesFor(KvType.F32, c.blockCount(), maxSeq, c.kvDim());
    }

    @Override
    public int maxSeq() { return maxSeq; }

    /**
     * Runs {@link #run} on each example in turn: their gradients add up in list order. With dropout, example {@code i}
     * of the list draws the masks of index {@code i} (of the step the trainer set).
     */
    @Override
    public double accumulate(List<Example> examples, float scale) {
        double sum = 0;
        for (int i = 0; i < examples.size(); i++) {
            Example e = examples.get(i);
            if (dropout != null) dropout.example(i);
            sum += run(e.tokens(), e.length(), e.mask(), scale);
        }
        return sum;
    }

    @Override
    public double loss(List<Example> examples) {
        double sum = 0;
        for (Example e : examples) sum += loss(e.tokens(), e.length(), e.mask());
        return sum;
    }

    /** The logits of the last {@link #run} or {@link #loss} call: {@code n} rows of the vocabulary. */
    float[] logits() { return logits; }

    /**
     * The summed cross-entropy of the masked targets, without gradients (and without dropout).
     *
     * @param tokens {@code n + 1} ids: inputs {@code tokens[0..n)}, targets {@code tokens[1..n]}
     * @param mask   {@code mask[t]}: whether the prediction of {@code tokens[t+1]} counts
     */
    public double loss(int[] tokens, int n, boolean[] mask) {
        if (dropout != null) dropout.training(false);
        forward(tokens, n);
        return CrossEntropy.sum(logits, tokens, n, mask, c.vocabSize(), false, 0f);
    }

    /**
     * Forward and backward for one sequence: returns the summed loss and adds {@code scale · ∂loss/∂λ} to the
     * gradients of every adapted site. The adapter's dropout, if any, drops here with its current key.
     */
    public double run(int[] tokens, int n, boolean[] mask, float scale) {
        if (dropout != null) dropout.training(true);
        forward(tokens, n);
        int dim = c.dim(), L = c.blockCount(), vocab = c.vocabSize();
        float cap = c.style().finalSoftCap();
        if (cap > 0) {   // logits = cap·tanh(z/cap): ∂/∂z = 1 − (logits/cap)²
            for (int i = 0; i < n * vocab; i++) capSlope[i] = 1f - (logits[i] / cap) * (logits[i] / cap);
        }
        double loss = CrossEntropy.sum(logits, tokens, n, mask, vocab, true, scale);   // logits now hold ∂/∂logits
        if (cap > 0) for (int i = 0; i < n * vocab; i++) logits[i] *= capSlope[i];
        // output projection and final norm (xFinal: the residual stream after the last block, as recorded)
        Arrays.fill(dh, 0, n * dim, 0f);
        tp.accumulate(w.output(), logits, n, dh);
        Arrays.fill(dx, 0, n * dim, 0f);
        TrainOps.rmsNormBackward(xFinal, w.outputNorm(), dh, dx, n, dim, c.rmsEps());
        for (int l = L - 1; l >= 0; l--) {
            if (recompute) recomputeBlock(l);
            ffnBackward(l, n);
            attentionBackward(l, n);
        }
        return loss;
    }

    /** From {@code dx} (of the block's output) through the feed-forward half, adding into {@code dx} (of its input). */
    private void ffnBackward(int l, int n) {
        int dim = c.dim();
        ModelWeights.Layer L = w.layer(l);
        float[] dOut = postNormBackward(l, FFN_OUT, L.ffnPostNorm(), dx, n);
        float[] hf = act(FFN_NORM, l);
        Arrays.fill(dhf, 0, n * dim, 0f);
        if (L.moe() == null) {
            gatedBackward(l, L.gate(), L.up(), L.down(), Kind.GATE, c.style().activation(), hf, dOut, n);
        } else {
            ModelWeights.ExpertWeights m = L.moe();
            experts.backward(l, m, n, act(ROUTER, l), hf, act(EXPERT_GATE, l), act(EXPERT_UP, l), act(EXPERT_MIX, l),
                    act(EXPERT_OUT, l), dOut, dhf);
            if (c.experts().shared()) sharedExpertBackward(l, m, hf, dOut, n);
        }
        TrainOps.rmsNormBackward(act(FFN_INPUT, l), L.ffnNorm(), dhf, dx, n, dim, c.rmsEps());
    }

    /**
     * Qwen2-MoE's shared expert, {@code σ(s)·shared(hf)} with {@code s = w·hf}: its FFN gets {@code σ(s)·dOut}, and
     * {@code hf} gets the gate's {@code σ'(s)·(dOut·shared)·w} besides.
     */
    private void sharedExpertBackward(int l, ModelWeights.ExpertWeights m, float[] hf, float[] dOut, int n) {
        int dim = c.dim();
        float[] out = act(SHARED_OUT, l), logit = act(SHARED_LOGIT, l);
        for (int t = 0; t < n; t++) {
            float g = ExpertChoice.sigmoid(logit[t]);
            dGateLogit[t] = TrainOps.dot(dOut, t * dim, out, t * dim, dim) * g * (1f - g);
            for (int d = 0; d < dim; d++) dShared[t * dim + d] = g * dOut[t * dim + d];
        }
        tp.accumulate(m.sharedGateInp(), dGateLogit, n, dhf);
        gatedBackward(l, m.sharedGate(), m.sharedUp(), m.sharedDown(), Kind.GATE_SHEXP, Activation.SILU, hf, dShared, n);
    }

    /**
     * Through {@code down · (act(gate·hf) ⊙ up·hf)} (the dense FFN, or the shared expert: sites from {@code gateKind}),
     * from {@code dOut} to {@code dhf} (added).
     */
    private void gatedBackward(int l, Weights gate, Weights up, Weights down, Kind gateKind, Activation a, float[] hf, float[] dOut, int n) {
        int dim = c.dim(), ff = gate.rows();
        float[] mix = act(FFN_MIX, l);
        Arrays.fill(dff, 0, n * ff, 0f);
        tp.accumulate(down, dOut, n, dff);
        // gate, up and down kinds follow each other (GATE, UP, DOWN; GATE_SHEXP, UP_SHEXP, DOWN_SHEXP)
        sites.backward(l, KINDS[gateKind.ordinal() + 2], -1, mix, dOut, dff, n, ff, dim);
        TrainOps.gatedBackward(a, act(GATE, l), act(UP, l), dff, dg, du, n * ff);
        tp.accumulate(gate, dg, n, dhf);
        sites.backward(l, gateKind, -1, hf, dg, dhf, n, dim, ff);
        tp.accumulate(up, du, n, dhf);
        sites.backward(l, KINDS[gateKind.ordinal() + 1], -1, hf, du, dhf, n, dim, ff);
    }

    /** From {@code dx} (of the residual after attention) through the attention half, adding into {@code dx}. */
    private void attentionBackward(int l, int n) {
        int dim = c.dim(), qDim = c.qDim(), kvDim = c.kvDim();
        ModelWeights.Layer L = w.layer(l);
        float[] dOut = postNormBackward(l, ATTN_OUT, L.attnPostNorm(), dx, n);
        float[] amix = act(ATTN_MIX, l), ha = act(ATTN_NORM, l);
        Arrays.fill(dmix, 0, n * qDim, 0f);
        tp.accumulate(L.wo(), dOut, n, dmix);
        sites.backward(l, Kind.O, -1, amix, dOut, dmix, n, qDim, dim);
        attention.run(pool, l, n, act(Q, l), act(K, l), act(V, l), dmix, dq, dk, dv);
        for (int t = 0; t < n; t++) {
            ropeTable.unrotate(dq, t * qDim, c.headCount(), t, l);
            ropeTable.unrotate(dk, t * kvDim, c.headCountKv(), t, l);
        }
        if (c.qkNorm()) {
            headNormBackward(act(Q_RAW, l), L.qNorm(), dq, n * c.headCount());
            headNormBackward(act(K_RAW, l), L.kNorm(), dk, n * c.headCountKv());
        }
        Arrays.fill(dh, 0, n * dim, 0f);
        tp.accumulate(L.wq(), dq, n, dh);
        sites.backward(l, Kind.Q, -1, ha, dq, dh, n, dim, qDim);
        tp.accumulate(L.wk(), dk, n, dh);
        sites.backward(l, Kind.K, -1, ha, dk, dh, n, dim, kvDim);
        tp.accumulate(L.wv(), dv, n, dh);
        sites.backward(l, Kind.V, -1, ha, dv, dh, n, dim, kvDim);
        TrainOps.rmsNormBackward(act(BLOCK_INPUT, l), L.attnNorm(), dh, dx, n, dim, c.rmsEps());
    }

    /**
     * Through a post-norm (Gemma: {@code y = norm(out)}) when the model has one: the gradient of {@code out} from
     * {@code d} (of {@code y}), in {@code dy}; without one {@code d} itself.
     */
    private float[] postNormBackward(int l, Point out, MemorySegment weight, float[] d, int n) {
        if (weight == null) return d;
        Arrays.fill(dy, 0, n * c.dim(), 0f);
        TrainOps.rmsNormBackward(act(out, l), weight, d, dy, n, c.dim(), c.rmsEps());
        return dy;
    }

    /** Through the per-head RMSNorm of q or k: {@code d} (gradients of the normed rows) becomes those of {@code raw}. */
    private void headNormBackward(float[] raw, MemorySegment weight, float[] d, int rows) {
        int hd = c.headDim();
        Arrays.fill(dnorm, 0, rows * hd, 0f);
        TrainOps.rmsNormBackward(raw, weight, d, dnorm, rows, hd, c.rmsEps());
        System.arraycopy(dnorm, 0, d, 0, rows * hd);
    }

    /**
     * Gradient checkpointing: block {@code l}'s activations from its recorded input, by the engine's own block over
     * positions from 0 (the forward pass's keys and values of that layer are stored again, the same values).
     */
    private void recomputeBlock(int l) {
        sequence.cache().truncate(0);
        recomputing = true;
        try {
            backend.block(activations, batch, l, act(BLOCK_INPUT, l));
        } finally {
            recomputing = false;
        }
    }

    private void forward(int[] tokens, int n) {
        if (n < 1 || n > maxSeq) throw new IllegalArgumentException("sequence of " + n + " tokens; this trainer takes 1 to " + maxSeq);
        if (tokens.length < n + 1) throw new IllegalArgumentException("need " + (n + 1) + " token ids (inputs and targets), got " + tokens.length);
        sequence.cache().truncate(0);
        backend.step(activations, batch.clear().add(sequence, tokens, 0, n, true), logits);
    }

    private void record(int layer, Point point, float[] data, int off, int n, int width) {
        // the output projection is frozen and not adapted: its input is not needed. With checkpointing the forward
        // pass keeps only block inputs, and a recomputed block everything else.
        if (point == FINAL_NORM) return;
        if (point == FINAL_INPUT) {
            System.arraycopy(data, off, xFinal, 0, n * width);
            return;
        }
        if (recompute && (point == BLOCK_INPUT) == recomputing) return;
        float[] dst = acts[point.ordinal()][layer];
        System.arraycopy(data, off, dst, 0, n * width);
    }

    private float[] act(Point point, int layer) { return acts[point.ordinal()][layer]; }
}
