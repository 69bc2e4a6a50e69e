package dev.vera4j.vera.train;

import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.simd.RangeTask;
import dev.vera4j.simd.Tanh;
import dev.vera4j.simd.WorkerPool;

import java.util.Arrays;

/**
 * The gradients of one layer's causal grouped-query attention: from {@code dmix} (of each query head's mix of values)
 * to {@code dq}, {@code dk}, {@code dv} (of the rotated queries and keys and of the values), recomputing the attention
 * weights as the forward pass made them — {@code scale · q·k}, soft-capped to {@code cap·tanh(s/cap)} when the model
 * caps scores (the cap's derivative {@code 1 − (s/cap)²} joins the chain), softmax over the positions the layer's
 * sliding window leaves. Split over key/value heads: a task owns its kv head's {@code dk}/{@code dv} and its query heads'
 * {@code dq}, so no two threads write the same value and the sums do not depend on the thread count. Allocates nothing
 * per call.
 *
 * <pre>{@code
 * AttentionGradients ag = new AttentionGradients(config, maxSeq);
 * ag.run(pool, layer, n, q, k, v, dmix, dq, dk, dv);   // dq, dk, dv are overwritten
 * }</pre>
 */
final class AttentionGradients implements RangeTask {
    private final ModelConfig c;
    private final float scale, cap;
    /** Per kv head: one query row's attention weights, their gradients and the soft-cap's derivative. */
    private final float[][] probs, dprobs, capSlope;
    private float[] q, k, v, dmix, dq, dk, dv;
    private int n, window;

    AttentionGradients(ModelConfig c, int maxSeq) {
        this.c = c;
        this.scale = c.style().attentionScale();
        this.cap = c.style().attnSoftCap();
        probs = new float[c.headCountKv()][maxSeq];
        dprobs = new float[c.headCountKv()][maxSeq];
        capSlope = new float[c.headCountKv()][maxSeq];
    }

    /** Gradients of layer {@code layer}'s attention over {@code n} tokens; {@code dq}, {@code dk}, {@code dv} are overwritten. */
    void run(WorkerPool pool, int layer, int n, float[] q, float[] k, float[] v, float[] dmix, float[] dq, float[] dk, float[] dv) {
        this.q = q;
        this.k = k;
        this.v = v;
        this.dmix = dmix;
        this.dq = dq;
        this.dk = dk;
        this.dv = dv;
        this.n = n;
        this.window = c.window().of(layer);
        Arrays.fill(dq, 0, n * c.qDim(), 0f);
        Arrays.fill(dk, 0, n * c.kvDim(), 0f);
        Arrays.fill(dv, 0, n * c.kvDim(), 0f);
        pool.parallelFor(c.headCountKv(), this);
        this.q = this.k = this.v = this.dmix = this.dq = this.dk = this.dv = null;
    }

    @Override
    public void run(int fromKv, int toKv) {
        int hd = c.headDim(), qDim = c.qDim(), kvDim = c.kvDim(), group = c.groupSize();
        for (int kvHead = fromKv; kvHead < toKv; kvHead++) {
            float[] p = probs[kvHead], dp = dprobs[kvHead], slope = capSlope[kvHead];
            int kvOff = kvHead * hd;
            for (int head = kvHead * group; head < (kvHead + 1) * group; head++) {
                for (int t = 0; t < n; t++) {
                    int qOff = t * qDim + head * hd, from = window > 0 ? Math.max(0, t - window + 1) : 0;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = from; j <= t; j++) {
                        float s = TrainOps.dot(q, qOff, k, j * kvDim + kvOff, hd) * scale;
                        if (cap > 0) {
                            float capped = cap * Tanh.tanhReference(s / cap);
                            slope[j] = 1f - (capped / cap) * (capped / cap);
                            s = capped;
                        }
                        p[j] = s;
                        max = Math.max(max, s);
                    }
                    double sum = 0;
                    for (int j = from; j <= t; j++) {
                        p[j] = (float) Math.exp(p[j] - max);
                        sum += p[j];
                    }
                    float inv = (float) (1.0 / sum);
                    double pdp = 0;
                    for (int j = from; j <= t; j++) {
                        p[j] *= inv;
                        dp[j] = TrainOps.dot(dmix, qOff, v, j * kvDim + kvOff, hd);
                        pdp += (double) p[j] * dp[j];
                        TrainOps.axpy(p[j], dmix, qOff, dv, j * kvDim + kvOff, hd);
                    }
                    for (int j = from; j <= t; j++) {
                        float ds = p[j] * (dp[j] - (float) pdp) * scale;
                        if (cap > 0) ds *= slope[j];
                        TrainOps.axpy(ds, k, j * kvDim + kvOff, dq, qOff, hd);
                        TrainOps.axpy(ds, q, qOff, dk, j * kvDim + kvOff, hd);
                    }
                }
            }
        }
    }
}
