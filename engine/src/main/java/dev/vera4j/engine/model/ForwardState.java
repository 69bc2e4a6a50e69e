package dev.vera4j.engine.model;

import dev.vera4j.simd.MatMul;
import dev.vera4j.simd.RangeTask;
import dev.vera4j.simd.Rope;
import dev.vera4j.simd.Softmax;

import java.util.Arrays;

/**
 * The scratch memory of {@link Transformer#forward}, allocated once for at most {@code maxBatch} tokens per call and a
 * context of {@code maxContext} positions, plus the hooks and recorder that calls use. A forward pass allocates
 * nothing. One state per session; not thread-safe.
 */
public final class ForwardState {
    final int maxBatch;
    final int maxContext;
    final MatMul matMul;
    final float[] x, xb, mix, q, k, v, gate, up, att;
    final Rope rope;
    final AttentionTask attention = new AttentionTask();
    LinearHook[] hooks = new LinearHook[0];
    ActivationRecorder recorder;

    ForwardState(Transformer t, int maxBatch, int maxContext) {
        ModelConfig c = t.config();
        if (maxBatch < 1 || maxContext < 1) throw new IllegalArgumentException("maxBatch and maxContext must be positive");
        this.maxBatch = maxBatch;
        this.maxContext = maxContext;
        int wide = Math.max(c.dim(), Math.max(c.qDim(), c.feedForwardLength()));
        this.matMul = new MatMul(t.pool(), wide, maxBatch);
        x = new float[maxBatch * c.dim()];
        xb = new float[maxBatch * Math.max(c.dim(), c.qDim())];
        mix = new float[maxBatch * c.qDim()];
        q = new float[maxBatch * c.qDim()];
        k = new float[maxBatch * c.kvDim()];
        v = new float[maxBatch * c.kvDim()];
        gate = new float[maxBatch * c.feedForwardLength()];
        up = new float[maxBatch * c.feedForwardLength()];
        att = new float[c.headCount() * maxContext];
        rope = t.newRope();
    }

    /** Tokens one {@link Transformer#forward} call can take. */
    public int maxBatch() { return maxBatch; }

    /** Adds a hook that every linear projection of later passes calls. */
    public void addHook(LinearHook hook) {
        if (hook == null) throw new IllegalArgumentException("hook is null");
        hooks = Arrays.copyOf(hooks, hooks.length + 1);
        hooks[hooks.length - 1] = hook;
    }

    /** Removes a hook added before; returns whether it was there. */
    public boolean removeHook(LinearHook hook) {
        for (int i = 0; i < hooks.length; i++) {
            if (hooks[i] == hook) {
                LinearHook[] h = new LinearHook[hooks.length - 1];
                System.arraycopy(hooks, 0, h, 0, i);
                System.arraycopy(hooks, i + 1, h, i, hooks.length - i - 1);
                hooks = h;
                return true;
            }
        }
        return false;
    }

    /** Sets (or with {@code null} clears) the recorder of intermediate activations. */
    public void recorder(ActivationRecorder recorder) { this.recorder = recorder; }

    /** Causal attention for a batch, split over heads; its parameters are fields so that running it allocates nothing. */
    final class AttentionTask implements RangeTask {
        dev.vera4j.engine.kv.KvCache cache;
        int layer, startPos, n, headDim, qDim, group;
        float scale;

        @Override
        public void run(int startHead, int endHead) {
            for (int h = startHead; h < endHead; h++) {
                int kvOff = (h / group) * headDim;
                int attOff = h * maxContext;
                for (int t = 0; t < n; t++) {
                    int qOff = t * qDim + h * headDim;
                    int positions = startPos + t + 1;   // causal: token t sees the cache up to itself
                    cache.keyScores(layer, kvOff, q, qOff, headDim, positions, scale, att, attOff);
                    Softmax.softmax(att, attOff, positions);
                    cache.mixValues(layer, kvOff, att, attOff, positions, mix, qOff, headDim);
                }
            }
        }
    }
}
