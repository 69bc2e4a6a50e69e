package dev.vera4j.vera.train;

import dev.vera4j.engine.model.LlamaWeights;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.engine.model.RopeType;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The transpose of RoPE for positions {@code 0 .. maxSeq}, for gradients: the rotation as the engine applies it (same
 * inverse frequencies, scaling and {@code rope_freqs}, NORM adjacent pairs or NEOX halves), by the opposite angles.
 *
 * <pre>{@code
 * RopeTable rope = new RopeTable(config, weights, 256);
 * rope.unrotate(dq, t * qDim, heads, t);  // rotates gradients back by position t's angles
 * }</pre>
 */
final class RopeTable {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private final int headDim, half;
    private final boolean norm;
    private final float[] cos, sin;

    RopeTable(ModelConfig c, LlamaWeights w, int maxSeq) {
        headDim = c.headDim();
        half = c.ropeDim() / 2;
        norm = c.ropeType() == RopeType.NORM;
        float[] divisors = c.ropeScaling().llama3Divisors(c.ropeBase(), c.ropeDim());
        cos = new float[maxSeq * half];
        sin = new float[maxSeq * half];
        for (int i = 0; i < half; i++) {
            double divisor = w.ropeFreqs() != null ? w.ropeFreqs().getAtIndex(F32, i) : divisors[i];
            double invFreq = c.ropeFreqScale() * Math.pow(c.ropeBase(), -2.0 * i / c.ropeDim()) / divisor;
            for (int t = 0; t < maxSeq; t++) {
                double theta = t * invFreq;
                cos[t * half + i] = (float) Math.cos(theta);
                sin[t * half + i] = (float) Math.sin(theta);
            }
        }
    }

    /**
     * The transpose (inverse) rotation of the {@code heads} heads at {@code x[off..]} for position {@code pos}, which
     * takes gradients of rotated values to gradients of the inputs.
     */
    void unrotate(float[] x, int off, int heads, int pos) {
        for (int head = 0; head < heads; head++) {
            int base = off + head * headDim;
            for (int i = 0; i < half; i++) {
                int a = norm ? base + 2 * i : base + i, b = norm ? a + 1 : a + half;
                float cs = cos[pos * half + i], sn = -sin[pos * half + i];
                float x0 = x[a], x1 = x[b];
                x[a] = x0 * cs - x1 * sn;
                x[b] = x0 * sn + x1 * cs;
            }
        }
    }
}
