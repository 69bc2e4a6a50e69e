package dev.vera4j.vera.train;

import dev.vera4j.engine.model.ModelWeights;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.engine.model.RopeFrequencies;
import dev.vera4j.engine.model.RopeType;

/**
 * The transpose of RoPE for positions {@code 0 .. maxSeq}, for gradients: each layer's rotation as the engine applies
 * it to a sequence whose cache holds {@code maxSeq} positions ({@link RopeFrequencies}: global or local frequencies,
 * scaling, {@code rope_freqs} or LongRoPE's factors, and LongRoPE's attention factor on the rotated dimensions), NORM
 * adjacent pairs or NEOX halves, by the opposite angles.
 *
 * <pre>{@code
 * RopeTable rope = new RopeTable(config, weights, 256);
 * rope.unrotate(dq, t * qDim, heads, t, layer);  // rotates gradients back by position t's angles of that layer
 * }</pre>
 */
final class RopeTable {
    private final ModelConfig c;
    private final int headDim, half, maxSeq;
    private final boolean norm;
    /** Per {@link RopeFrequencies.Kind}: magnitude-scaled cos and sin per position and pair, or null if unused. */
    private final float[][] cos, sin;

    RopeTable(ModelConfig c, ModelWeights w, int maxSeq) {
        this.c = c;
        this.maxSeq = maxSeq;
        headDim = c.headDim();
        half = c.ropeDim() / 2;
        norm = c.ropeType() == RopeType.NORM;
        int kinds = RopeFrequencies.Kind.values().length;
        cos = new float[kinds][];
        sin = new float[kinds][];
        for (int l = 0; l < c.blockCount(); l++) {
            RopeFrequencies.Kind kind = RopeFrequencies.kind(c, l, maxSeq);
            if (cos[kind.ordinal()] != null) continue;
            float[] inv = RopeFrequencies.inverse(c, w, kind);
            float magnitude = kind == RopeFrequencies.Kind.LOCAL ? 1f : c.ropeScaling().attnFactor();
            float[] cs = new float[maxSeq * half], sn = new float[maxSeq * half];
            for (int i = 0; i < half; i++) {
                for (int t = 0; t < maxSeq; t++) {
                    double theta = (double) t * inv[i];
                    cs[t * half + i] = (float) (Math.cos(theta) * magnitude);
                    sn[t * half + i] = (float) (Math.sin(theta) * magnitude);
                }
            }
            cos[kind.ordinal()] = cs;
            sin[kind.ordinal()] = sn;
        }
    }

    /**
     * The transpose of layer {@code layer}'s rotation of the {@code heads} heads at {@code x[off..]} for position
     * {@code pos}, which takes gradients of rotated values to gradients of the inputs.
     */
    void unrotate(float[] x, int off, int heads, int pos, int layer) {
        int kind = RopeFrequencies.kind(c, layer, maxSeq).ordinal();
        float[] cs = cos[kind], sn = sin[kind];
        for (int head = 0; head < heads; head++) {
            int base = off + head * headDim;
            for (int i = 0; i < half; i++) {
                int a = norm ? base + 2 * i : base + i, b = norm ? a + 1 : a + half;
                float co = cs[pos * half + i], si = -sn[pos * half + i];
                float x0 = x[a], x1 = x[b];
                x[a] = x0 * co - x1 * si;
                x[b] = x0 * si + x1 * co;
            }
        }
    }
}
