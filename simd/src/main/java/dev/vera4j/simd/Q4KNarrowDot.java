package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static dev.vera4j.simd.Narrow.F8;
import static dev.vera4j.simd.Narrow.acts;
import static dev.vera4j.simd.Narrow.pairSums;
import static dev.vera4j.simd.Int8.nibbles;
import static dev.vera4j.simd.Vec.f16;

/**
 * Q4_K rows ({@link Q4KDot} describes the layout) against int8 activations in 256-bit vectors ({@link Narrow}). A
 * sub-block of 32 values lines up with one activation block of 32, so each sub-block is one integer sum
 * {@code Σ q·q_x} (the low or high nibbles of 32 bytes against the block's activations, at most 2·15·127 per short
 * lane), scaled by {@code d·sc_j·d_x}; the mins come off per sub-block as {@code dmin·m_j·(d_x·Σq_x)}. Per-32
 * activation scales, as for Q4_0, are finer than llama.cpp's one scale per 256 ({@code Q8_K}).
 */
final class Q4KNarrowDot {
    private Q4KNarrowDot() {}

    /** {@code nb} activation blocks of 32 from block {@code bo} (a multiple of 8: whole super-blocks). */
    static float dot(MemorySegment w, long off, Int8Activations a, int bo, int nb) {
        short[] q = a.q;
        float[] dx = a.d, ds = a.ds;
        FloatVector a0 = FloatVector.zero(F8), a1 = a0;
        float mins = 0;
        for (int sb = 0; sb < nb / 8; sb++) {
            long p = off + 144L * sb;
            float d = f16(w, p), dmin = f16(w, p + 2);
            long scales = Q4KDot.scales(w, p + 4);
            long ms = Q4KDot.mins(w, p + 4);
            // one sub-block per step: a loop body of two sub-blocks exceeded C2's node budget for inlining in the larger
            // K kernels, which then boxed their vectors; the two accumulators alternate by a branch that folds once unrolled
            for (int j = 0; j < 8; j++) {
                int blk = bo + 8 * sb + j, shift = 4 * (j & 1);
                long qs = p + 16 + 32L * (j >> 1);
                ShortVector s = nibbles(w, qs).lanewise(VectorOperators.LSHR, shift).and((short) 15).mul(acts(q, 32 * blk))
                        .add(nibbles(w, qs + 16).lanewise(VectorOperators.LSHR, shift).and((short) 15).mul(acts(q, 32 * blk + 16)));
                FloatVector v = pairSums(s), scale = FloatVector.broadcast(F8, d * ((scales >>> (8 * j)) & 0xff) * dx[blk]);
                if ((j & 1) == 0) a0 = v.fma(scale, a0);
                else a1 = v.fma(scale, a1);
                mins += dmin * ((ms >>> (8 * j)) & 0xff) * ds[blk];
            }
        }
        return a0.add(a1).reduceLanes(VectorOperators.ADD) - mins;
    }

    /** Scalar reference of the same arithmetic, in double: {@code Σ_j d_x·(d·sc_j·Σ q·q_x − dmin·m_j·Σ q_x)}. */
    static double dotReference(MemorySegment w, long off, short[] q, float[] dx, int bo, int nb) {
        double s = 0;
        for (int sb = 0; sb < nb / 8; sb++) {
            long p = off + 144L * sb;
            double d = f16(w, p), dmin = f16(w, p + 2);
            long scales = Q4KDot.scales(w, p + 4);
            long ms = Q4KDot.mins(w, p + 4);
            for (int j = 0; j < 8; j++) {
                int blk = bo + 8 * sb + j;
                long dot = 0, sum = 0;
                for (int l = 0; l < 32; l++) {
                    int v = (w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, p + 16 + 32L * (j / 2) + l) >>> (4 * (j % 2))) & 15;
                    dot += (long) v * q[32 * blk + l];
                    sum += q[32 * blk + l];
                }
                s += dx[blk] * (d * ((scales >>> (8 * j)) & 0xff) * dot - dmin * ((ms >>> (8 * j)) & 0xff) * sum);
            }
        }
        return s;
    }
}
