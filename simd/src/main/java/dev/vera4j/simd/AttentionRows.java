package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;

import static dev.vera4j.simd.Vec.F;
import static dev.vera4j.simd.Vec.L;

/**
 * The two products of attention for one query row, over keys laid out transposed ({@code kt[i·stride + p]}: one row
 * per head dimension, one column per position) and values by position ({@code v[p·len + i]}). Both keep the positions
 * or the head dimensions in vector lanes and walk the other index with broadcast multiply-adds, so no product needs a
 * sum across lanes, and every output is summed in index order: the bits do not depend on lane count or JIT tier. The
 * mix is the trainer's transposed-product tile; the scores are the same loop with the roles of the indexes swapped.
 *
 * <pre>{@code
 * AttentionRows.scores(q, qOff, headDim, kt, stride, positions, scale, scores, 0);   // scale · q·k_p
 * Softmax.softmax(scores, 0, positions);
 * AttentionRows.mix(scores, 0, positions, v, headDim, out, outOff);                 // Σ_p w_p · v_p
 * }</pre>
 */
public final class AttentionRows {
    private AttentionRows() {}

    /** {@code out[outOff + p] = scale · Σ_i q[qOff + i]·kt[i·stride + p]} for {@code p < positions}. */
    public static void scores(float[] q, int qOff, int len, float[] kt, int stride, int positions, float scale, float[] out, int outOff) {
        scores(q, qOff, len, kt, 0, stride, positions, scale, out, outOff);
    }

    /**
     * {@code out[outOff + p] = scale · Σ_i q[qOff + i]·kt[ktOff + i·stride + p]} for {@code p < positions}: the
     * columns from {@code ktOff} on (a sliding window's).
     */
    public static void scores(float[] q, int qOff, int len, float[] kt, int ktOff, int stride, int positions, float scale, float[] out, int outOff) {
        int p = 0;
        if (Vec.ENABLED) {
            for (; p + 4 * L <= positions; p += 4 * L) {
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                for (int i = 0, row = ktOff + p; i < len; i++, row += stride) {
                    FloatVector b = FloatVector.broadcast(F, q[qOff + i]);
                    a0 = FloatVector.fromArray(F, kt, row).fma(b, a0);
                    a1 = FloatVector.fromArray(F, kt, row + L).fma(b, a1);
                    a2 = FloatVector.fromArray(F, kt, row + 2 * L).fma(b, a2);
                    a3 = FloatVector.fromArray(F, kt, row + 3 * L).fma(b, a3);
                }
                a0.mul(scale).intoArray(out, outOff + p);
                a1.mul(scale).intoArray(out, outOff + p + L);
                a2.mul(scale).intoArray(out, outOff + p + 2 * L);
                a3.mul(scale).intoArray(out, outOff + p + 3 * L);
            }
            for (; p + L <= positions; p += L) {
                FloatVector a = FloatVector.zero(F);
                for (int i = 0, row = ktOff + p; i < len; i++, row += stride) a = FloatVector.fromArray(F, kt, row).fma(FloatVector.broadcast(F, q[qOff + i]), a);
                a.mul(scale).intoArray(out, outOff + p);
            }
        }
        for (; p < positions; p++) {
            float s = 0;
            for (int i = 0, row = ktOff + p; i < len; i++, row += stride) s = Math.fma(kt[row], q[qOff + i], s);
            out[outOff + p] = s * scale;
        }
    }

    /**
     * {@code out[outOff + i] = Σ_p w[wOff + p]·v[p·len + i]} for {@code i < len} (overwrites {@code out}): the
     * transposed product's accumulation ({@link TransposedTile#accumulateTile}) onto zeros, positions in order.
     */
    public static void mix(float[] w, int wOff, int positions, float[] v, int len, float[] out, int outOff) {
        mix(w, wOff, positions, v, 0, len, out, outOff);
    }

    /** As {@link #mix(float[], int, int, float[], int, float[], int)} with the values from {@code v[vOff]}. */
    public static void mix(float[] w, int wOff, int positions, float[] v, int vOff, int len, float[] out, int outOff) {
        java.util.Arrays.fill(out, outOff, outOff + len, 0f);
        TransposedTile.accumulateTile(w, wOff, positions, len, v, vOff, len, out, outOff);
    }

    /** Scalar reference of {@link #scores}: the same fused multiply-adds in the same order. */
    public static void scoresReference(float[] q, int qOff, int len, float[] kt, int stride, int positions, float scale, float[] out, int outOff) {
        for (int p = 0; p < positions; p++) {
            float s = 0;
            for (int i = 0; i < len; i++) s = Math.fma(kt[i * stride + p], q[qOff + i], s);
            out[outOff + p] = s * scale;
        }
    }

    /** Scalar reference of {@link #mix}: the same fused multiply-adds in the same order. */
    public static void mixReference(float[] w, int wOff, int positions, float[] v, int len, float[] out, int outOff) {
        for (int i = 0; i < len; i++) {
            float s = 0;
            for (int p = 0; p < positions; p++) s = Math.fma(v[p * len + i], w[wOff + p], s);
            out[outOff + i] = s;
        }
    }
}
