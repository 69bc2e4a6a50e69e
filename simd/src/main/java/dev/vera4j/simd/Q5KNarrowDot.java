package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.vera4j.simd.Narrow.F8;
import static dev.vera4j.simd.Narrow.acts;
import static dev.vera4j.simd.Narrow.pairSums;
import static dev.vera4j.simd.Int8.nibbles;
import static dev.vera4j.simd.Vec.f16;

/**
 * Q5_K rows against int8 activations in 256-bit vectors ({@link Narrow}): as {@link Q4KNarrowDot}, with each value's
 * fifth bit from the 32 high-bit bytes after the scales (value {@code l} of sub-block {@code j}: bit {@code j} of
 * byte {@code l}), added as 16 before the multiply (at most 2·31·127 per short lane). Layout: fp16 d, fp16 dmin, the
 * 12 scale bytes of Q4_K, 32 high-bit bytes, 128 bytes of nibbles; 176 bytes per 256 values.
 */
final class Q5KNarrowDot {
    private Q5KNarrowDot() {}

    /** {@code nb} activation blocks of 32 from block {@code bo} (a multiple of 8: whole super-blocks). */
    static float dot(MemorySegment w, long off, Int8Activations a, int bo, int nb) {
        short[] q = a.q;
        float[] dx = a.d, ds = a.ds;
        FloatVector a0 = FloatVector.zero(F8), a1 = a0;
        float mins = 0;
        for (int sb = 0; sb < nb / 8; sb++) {
            long p = off + 176L * sb;
            float d = f16(w, p), dmin = f16(w, p + 2);
            long scales = Q4KDot.scales(w, p + 4);
            long ms = Q4KDot.mins(w, p + 4);
            // 16 values per step, the halves of a sub-block in two accumulators: a body of a whole sub-block exceeded
            // C2's node budget for inlining (NodeCountInliningCutoff), which then boxed the vectors
            for (int i = 0; i < 16; i++) {
                int j = i >> 1, half = 16 * (i & 1), blk = bo + 8 * sb + j;
                ShortVector v = nibbles(w, p + 48 + 32L * (j >> 1) + half).lanewise(VectorOperators.LSHR, 4 * (j & 1)).and((short) 15)
                        .or(nibbles(w, p + 16 + half).lanewise(VectorOperators.LSHR, j).and((short) 1).lanewise(VectorOperators.LSHL, 4));
                FloatVector sum = pairSums(v.mul(acts(q, 32 * blk + half)));
                FloatVector scale = FloatVector.broadcast(F8, d * ((scales >>> (8 * j)) & 0xff) * dx[blk]);
                if (half == 0) a0 = sum.fma(scale, a0);
                else a1 = sum.fma(scale, a1);
            }
            for (int j = 0; j < 8; j++) mins += dmin * ((ms >>> (8 * j)) & 0xff) * ds[bo + 8 * sb + j];
        }
        return a0.add(a1).reduceLanes(VectorOperators.ADD) - mins;
    }

    /** Scalar reference of the same arithmetic, in double: {@code Σ_j d_x·(d·sc_j·Σ q·q_x − dmin·m_j·Σ q_x)}. */
    static double dotReference(MemorySegment w, long off, short[] q, float[] dx, int bo, int nb) {
        double s = 0;
        for (int sb = 0; sb < nb / 8; sb++) {
            long p = off + 176L * sb;
            double d = f16(w, p), dmin = f16(w, p + 2);
            long scales = Q4KDot.scales(w, p + 4);
            long ms = Q4KDot.mins(w, p + 4);
            for (int j = 0; j < 8; j++) {
                int blk = bo + 8 * sb + j;
                long dot = 0, sum = 0;
                for (int l = 0; l < 32; l++) {
                    int v = (w.get(ValueLayout.JAVA_BYTE, p + 48 + 32L * (j / 2) + l) >>> (4 * (j % 2))) & 15;
                    v |= ((w.get(ValueLayout.JAVA_BYTE, p + 16 + l) >>> j) & 1) << 4;
                    dot += (long) v * q[32 * blk + l];
                    sum += q[32 * blk + l];
                }
                s += dx[blk] * (d * ((scales >>> (8 * j)) & 0xff) * dot - dmin * ((ms >>> (8 * j)) & 0xff) * sum);
            }
        }
        return s;
    }
}
