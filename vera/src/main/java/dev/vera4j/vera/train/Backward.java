package dev.vera4j.vera.train;

import dev.vera4j.engine.backend.Batch;
import dev.vera4j.engine.backend.Sequence;
import dev.vera4j.engine.backend.cpu.CpuActivations;
import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.kv.KvCache;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.ActivationRecorder;
import dev.vera4j.engine.model.LlamaWeights;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.vera.VeraAdapter;
import dev.vera4j.vera.VeraTarget;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Loss and gradients of a causal language model for one sequence, with respect to the λ vectors of a VeRA adapter
 * only. The forward pass is the engine's own (a step of the {@link CpuBackend} with the adapter hooked into the
 * sequence and an {@link ActivationRecorder} keeping each block's activations); the backward pass then goes through the output
 * projection and final RMSNorm, and per block (last first) through the SwiGLU feed-forward network, its RMSNorm,
 * causal grouped-query attention with RoPE, and the attention RMSNorm, adding the residual gradients. Frozen weights
 * are only read row by row ({@link TransposedProduct}); the adapter's part of each projection contributes to the
 * input gradient and to {@code ∂L/∂λ_b}, {@code ∂L/∂λ_d}, which accumulate in {@link TrainableLambdas}.
 *
 * <p>The loss is the summed cross-entropy of the masked next-token predictions; gradients are scaled by the caller's
 * factor (1 / tokens of the whole batch gives the batch mean). All memory is allocated up front for sequences of up to
 * {@code maxSeq} tokens; {@link #run} allocates nothing. Models with per-head q/k norms (qwen3) get gradients through those norms too.
 *
 * <pre>{@code
 * Backward bw = new Backward((CpuBackend) model.backend(), lambdas, 256);
 * lambdas.zeroGrad();
 * double sum = bw.run(tokens, n, mask, 1f / maskedCount);   // tokens[0..n]: inputs [0,n), targets [1,n]
 * }</pre>
 */
public final class Backward {
    private static final ActivationRecorder.Point[] POINTS = ActivationRecorder.Point.values();

    private final CpuBackend backend;
    private final ModelConfig c;
    private final LlamaWeights w;
    private final WorkerPool pool;
    private final TrainableLambdas params;
    private final int maxSeq;
    private final CpuActivations activations;
    private final Sequence sequence;
    private final Batch batch;
    private final TransposedProduct tp;
    private final float[][][] acts;
    private final float[] logits, xFinal;
    private final float[] dx, dh, dq, dk, dv, dmix, dnorm, dff, dg, du;
    private final SiteGradients sites;
    private final RopeTable ropeTable;
    /** Attention weights and their gradients of one query row, per key/value head (one task each). */
    private final float[][] probs, dprobs;
    private final AttentionBackward attention = new AttentionBackward();
    /** Keep only each block's input and recompute the rest of a block just before its backward pass. */
    private final boolean recompute;
    /** Whether the recorder now sees a recomputed block rather than the forward pass. */
    private boolean recomputing;

    /** Prepares activations, a KV cache and gradient buffers for sequences of up to {@code maxSeq} tokens. */
    public Backward(CpuBackend backend, TrainableLambdas params, int maxSeq) { this(backend, params, maxSeq, false); }

    /**
     * @param recompute gradient checkpointing: keep only each block's input (one {@code n x dim} array per block
     *                  instead of about {@code 4·dim + 2·qDim + 2·kvDim + 3·ff}) and recompute the block's activations
     *                  when the backward pass reaches it, by running that block of the engine again
     *                  ({@link CpuBackend#block}), at the cost of a second forward pass
     */
    public Backward(CpuBackend backend, TrainableLambdas params, int maxSeq, boolean recompute) {
        this.recompute = recompute;
        this.backend = backend;
        this.c = backend.config();
        this.w = backend.weights();
        this.pool = backend.pool();
        this.params = params;
        this.maxSeq = maxSeq;
        if (maxSeq < 1) throw new IllegalArgumentException("sequence length must be positive, got " + maxSeq);
        int dim = c.dim(), qDim = c.qDim(), kvDim = c.kvDim(), ff = c.feedForwardLength(), L = c.blockCount();
        activations = backend.newActivations(maxSeq, maxSeq, true);
        sequence = new Sequence(backend.newCache(KvType.F32, maxSeq));
        sequence.addHook(new VeraAdapter(params.weights(), maxSeq, 1f, pool));
        sequence.recorder(this::record);
        batch = new Batch(maxSeq);
        int wide = Math.max(dim, Math.max(qDim, ff));
        tp = new TransposedProduct(pool, wide);
        acts = new float[POINTS.length][L][];
        for (ActivationRecorder.Point pt : POINTS) {
            if (pt == ActivationRecorder.Point.FINAL_NORM || pt == ActivationRecorder.Point.FINAL_INPUT) continue;
            int width = switch (pt) {
                case BLOCK_INPUT, ATTN_NORM, FFN_INPUT, FFN_NORM -> dim;
                case Q, ATTN_MIX -> qDim;
                case K, V -> kvDim;
                case Q_RAW -> c.qkNorm() ? qDim : 0;
                case K_RAW -> c.qkNorm() ? kvDim : 0;
                case GATE, UP, FFN_MIX -> ff;
                case FINAL_INPUT, FINAL_NORM -> 0;
            };
            int kept = recompute && pt != ActivationRecorder.Point.BLOCK_INPUT ? 1 : L;   // checkpointing: one shared slot
            for (int l = 0; l < L; l++) acts[pt.ordinal()][l] = l < kept ? new float[maxSeq * width] : acts[pt.ordinal()][0];
        }
        logits = new float[maxSeq * c.vocabSize()];
        xFinal = new float[maxSeq * dim];
        dx = new float[maxSeq * dim];
        dh = new float[maxSeq * dim];
        dq = new float[maxSeq * qDim];
        dk = new float[maxSeq * kvDim];
        dv = new float[maxSeq * kvDim];
        dmix = new float[maxSeq * qDim];
        dnorm = new float[c.qkNorm() ? maxSeq * qDim : 0];
        dff = new float[maxSeq * ff];
        dg = new float[maxSeq * ff];
        du = new float[maxSeq * ff];
        probs = new float[c.headCountKv()][maxSeq];
        dprobs = new float[c.headCountKv()][maxSeq];
        sites = new SiteGradients(params.weights(), pool);
        ropeTable = new RopeTable(c, w, maxSeq);
    }

    /**
     * Bytes of the buffers a trainer for {@code maxSeq} tokens holds (activations, gradients, logits, cache), with or
     * without {@code recompute} (gradient checkpointing).
     */
    public static long bytesFor(ModelConfig c, int maxSeq, boolean recompute) {
        long dim = c.dim(), q = c.qDim(), kv = c.kvDim(), ff = c.feedForwardLength();
        long perLayer = 4 * dim + 2 * q + 2 * kv + 3 * ff + (c.qkNorm() ? q + kv : 0);
        long kept = recompute ? dim * c.blockCount() + perLayer - dim : perLayer * c.blockCount();
        long floats = kept + 3 * dim + c.vocabSize() + 2 * q + 2 * kv + 3 * ff + (c.qkNorm() ? q : 0);
        long state = 2 * dim + q * 3 + 2 * kv + 2 * ff;   // the engine's forward scratch
        return 4 * maxSeq * (floats + state) + KvCache.bytesFor(KvType.F32, c.blockCount(), maxSeq, c.kvDim());
    }

    public int maxSeq() { return maxSeq; }

    /** The logits of the last {@link #run} or {@link #loss} call: {@code n} rows of the vocabulary. */
    float[] logits() { return logits; }

    /**
     * The summed cross-entropy of the masked targets, without gradients.
     *
     * @param tokens {@code n + 1} ids: inputs {@code tokens[0..n)}, targets {@code tokens[1..n]}
     * @param mask   {@code mask[t]}: whether the prediction of {@code tokens[t+1]} counts
     */
    public double loss(int[] tokens, int n, boolean[] mask) {
        forward(tokens, n);
        return CrossEntropy.sum(logits, tokens, n, mask, c.vocabSize(), false, 0f);
    }

    /**
     * Forward and backward for one sequence: returns the summed loss and adds {@code scale · ∂loss/∂λ} to the
     * gradients of every adapted site.
     */
    public double run(int[] tokens, int n, boolean[] mask, float scale) {
        forward(tokens, n);
        int dim = c.dim(), L = c.blockCount(), vocab = c.vocabSize();
        double loss = CrossEntropy.sum(logits, tokens, n, mask, vocab, true, scale);   // logits now hold ∂/∂logits
        // output projection and final norm (xFinal: the residual stream after the last block, as recorded)
        Arrays.fill(dh, 0, n * dim, 0f);
        tp.accumulate(w.output(), logits, n, dh);
        Arrays.fill(dx, 0, n * dim, 0f);
        TrainOps.rmsNormBackward(xFinal, w.outputNorm(), dh, dx, n, dim, c.rmsEps());
        for (int l = L - 1; l >= 0; l--) {
            if (recompute) recomputeBlock(l);
            blockBackward(l, n);
        }
        return loss;
    }

    private void blockBackward(int l, int n) {
        int dim = c.dim(), qDim = c.qDim(), kvDim = c.kvDim(), ff = c.feedForwardLength();
        LlamaWeights.Layer L = w.layer(l);
        // feed-forward: x_out = x_mid + Wdown · (silu(g) * u), g = Wgate·hf, u = Wup·hf, hf = norm(x_mid)
        float[] mix = act(ActivationRecorder.Point.FFN_MIX, l), gate = act(ActivationRecorder.Point.GATE, l),
                up = act(ActivationRecorder.Point.UP, l), hf = act(ActivationRecorder.Point.FFN_NORM, l);
        Arrays.fill(dff, 0, n * ff, 0f);
        tp.accumulate(L.down(), dx, n, dff);
        sites.backward(params.site(l, VeraTarget.DOWN), mix, dx, dff, n, ff, dim);
        for (int i = 0; i < n * ff; i++) {
            float g = gate[i], sig = (float) (1.0 / (1.0 + Math.exp(-g)));
            dg[i] = dff[i] * up[i] * sig * (1f + g * (1f - sig));
            du[i] = dff[i] * g * sig;
        }
        Arrays.fill(dh, 0, n * dim, 0f);
        tp.accumulate(L.gate(), dg, n, dh);
        sites.backward(params.site(l, VeraTarget.GATE), hf, dg, dh, n, dim, ff);
        tp.accumulate(L.up(), du, n, dh);
        sites.backward(params.site(l, VeraTarget.UP), hf, du, dh, n, dim, ff);
        TrainOps.rmsNormBackward(act(ActivationRecorder.Point.FFN_INPUT, l), L.ffnNorm(), dh, dx, n, dim, c.rmsEps());
        // attention: x_mid = x_in + Wo · attn(...)
        float[] amix = act(ActivationRecorder.Point.ATTN_MIX, l), ha = act(ActivationRecorder.Point.ATTN_NORM, l);
        Arrays.fill(dmix, 0, n * qDim, 0f);
        tp.accumulate(L.wo(), dx, n, dmix);
        sites.backward(params.site(l, VeraTarget.O), amix, dx, dmix, n, qDim, dim);
        attentionBackward(l, n);
        Arrays.fill(dh, 0, n * dim, 0f);
        tp.accumulate(L.wq(), dq, n, dh);
        sites.backward(params.site(l, VeraTarget.Q), ha, dq, dh, n, dim, qDim);
        tp.accumulate(L.wk(), dk, n, dh);
        sites.backward(params.site(l, VeraTarget.K), ha, dk, dh, n, dim, kvDim);
        tp.accumulate(L.wv(), dv, n, dh);
        sites.backward(params.site(l, VeraTarget.V), ha, dv, dh, n, dim, kvDim);
        TrainOps.rmsNormBackward(act(ActivationRecorder.Point.BLOCK_INPUT, l), L.attnNorm(), dh, dx, n, dim, c.rmsEps());
    }

    /**
     * From {@code dmix} to {@code dq}, {@code dk}, {@code dv} (before RoPE), recomputing the attention weights. Split
     * over key/value heads: a task owns its kv head's {@code dk}/{@code dv} and its query heads' {@code dq}, so no two
     * threads write the same value and the sums do not depend on the thread count.
     */
    private void attentionBackward(int l, int n) {
        int qDim = c.qDim(), kvDim = c.kvDim();
        Arrays.fill(dq, 0, n * qDim, 0f);
        Arrays.fill(dk, 0, n * kvDim, 0f);
        Arrays.fill(dv, 0, n * kvDim, 0f);
        attention.layer = l;
        attention.n = n;
        pool.parallelFor(c.headCountKv(), attention);
        for (int t = 0; t < n; t++) {
            ropeTable.unrotate(dq, t * qDim, c.headCount(), t);
            ropeTable.unrotate(dk, t * kvDim, c.headCountKv(), t);
        }
        if (c.qkNorm()) {
            LlamaWeights.Layer L = w.layer(l);
            headNormBackward(act(ActivationRecorder.Point.Q_RAW, l), L.qNorm(), dq, n * c.headCount());
            headNormBackward(act(ActivationRecorder.Point.K_RAW, l), L.kNorm(), dk, n * c.headCountKv());
        }
    }

    /** Through the per-head RMSNorm of q or k (qwen3): {@code d} (gradients of the normed rows) becomes those of {@code raw}. */
    private void headNormBackward(float[] raw, MemorySegment weight, float[] d, int rows) {
        int hd = c.headDim();
        Arrays.fill(dnorm, 0, rows * hd, 0f);
        TrainOps.rmsNormBackward(raw, weight, d, dnorm, rows, hd, c.rmsEps());
        System.arraycopy(dnorm, 0, d, 0, rows * hd);
    }

    private final class AttentionBackward implements dev.vera4j.simd.RangeTask {
        int layer, n;

        @Override
        public void run(int fromKv, int toKv) {
            int hd = c.headDim(), qDim = c.qDim(), kvDim = c.kvDim(), group = c.groupSize();
            float[] q = act(ActivationRecorder.Point.Q, layer), k = act(ActivationRecorder.Point.K, layer), v = act(ActivationRecorder.Point.V, layer);
            float scale = (float) (1.0 / Math.sqrt(hd));
            for (int kvHead = fromKv; kvHead < toKv; kvHead++) {
                float[] p = probs[kvHead], dp = dprobs[kvHead];
                int kvOff = kvHead * hd;
                for (int head = kvHead * group; head < (kvHead + 1) * group; head++) {
                    for (int t = 0; t < n; t++) {
                        int qOff = t * qDim + head * hd;
                        float max = scores(q, qOff, k, kvOff, t, scale, p);
                        double sum = 0;
                        for (int j = 0; j <= t; j++) {
                            p[j] = (float) Math.exp(p[j] - max);
                            sum += p[j];
                        }
                        float inv = (float) (1.0 / sum);
                        double pdp = 0;
                        for (int j = 0; j <= t; j++) {
                            p[j] *= inv;
                            dp[j] = TrainOps.dot(dmix, qOff, v, j * kvDim + kvOff, hd);
                            pdp += (double) p[j] * dp[j];
                            TrainOps.axpy(p[j], dmix, qOff, dv, j * kvDim + kvOff, hd);
                        }
                        for (int j = 0; j <= t; j++) {
                            float ds = p[j] * (dp[j] - (float) pdp) * scale;
                            TrainOps.axpy(ds, k, j * kvDim + kvOff, dq, qOff, hd);
                            TrainOps.axpy(ds, q, qOff, dk, j * kvDim + kvOff, hd);
                        }
                    }
                }
            }
        }
    }

    /** {@code p[j] = scale · q·k_j} for the causal positions {@code j ≤ t} of one head; returns their maximum. */
    private float scores(float[] q, int qOff, float[] k, int kvOff, int t, float scale, float[] p) {
        int hd = c.headDim(), kvDim = c.kvDim();
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j <= t; j++) {
            p[j] = TrainOps.dot(q, qOff, k, j * kvDim + kvOff, hd) * scale;
            max = Math.max(max, p[j]);
        }
        return max;
    }

    /**
     * Gradient checkpointing: block {@code l}'s activations from its recorded input, by the engine's own block over
     * positions from 0 (the forward pass's keys and values of that layer are stored again, the same values).
     */
    private void recomputeBlock(int l) {
        sequence.cache().truncate(0);
        recomputing = true;
        try {
            backend.block(activations, batch, l, act(ActivationRecorder.Point.BLOCK_INPUT, l));
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

    private void record(int layer, ActivationRecorder.Point point, float[] data, int off, int n, int width) {
        // the output projection is frozen and not adapted: its input is not needed. With checkpointing the forward
        // pass keeps only block inputs, and a recomputed block everything else.
        if (point == ActivationRecorder.Point.FINAL_NORM) return;
        if (point == ActivationRecorder.Point.FINAL_INPUT) {
            System.arraycopy(data, off, xFinal, 0, n * width);
            return;
        }
        if (recompute && (point == ActivationRecorder.Point.BLOCK_INPUT) == recomputing) return;
        float[] dst = acts[point.ordinal()][layer];
        System.arraycopy(data, off, dst, 0, n * width);
    }

    private float[] act(ActivationRecorder.Point point, int layer) { return acts[point.ordinal()][layer]; }
}
