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
 * Q6_K rows ({@link Q6KDot} describes the layout) against int8 activations in 256-bit vectors ({@link Narrow}). Each
 * scale covers 16 values, so every 16 values are one short product vector ({@code (q − 32)·q_x}, at most 32·127 per
 * lane), folded to 8 floats and scaled by {@code d·sc·d_x}. One step takes 16 values of quarter {@code k} of a half:
 * their low four bits from the nibble-byte run at {@code (k % 2)·32}, their top two bits from bit pair {@code k} of
 * the high-part bytes.
 */
final class Q6KNarrowDot {
    private Q6KNarrowDot() {}

    private static float scale(MemorySegment w, long p, int k) {
        return w.get(ValueLayout.JAVA_BYTE, p + 192 + k);
    }

    /** {@code nb} activation blocks of 32 from block {@code bo} (a multiple of 8: whole super-blocks). */
    static float dot(MemorySegment w, long off, Int8Activations a, int bo, int nb) {
        short[] q = a.q;
        float[] dx = a.d;
        FloatVector a0 = FloatVector.zero(F8), a1 = a0;
        for (int sb = 0; sb < nb / 8; sb++) {
            long p = off + 210L * sb;
            float d = f16(w, p + 208);
            // 16 values (one scale) per step, the halves of a quarter in two accumulators: a body of a whole quarter
            // exceeded C2's node budget for inlining (NodeCountInliningCutoff), which then boxed the vectors
            for (int i = 0; i < 16; i++) {
                int g = i >> 1, half = 16 * (i & 1);   // g = 4·(half of the super-block) + quarter
                int h = g >> 2, k = g & 3, blk = bo + 8 * sb + g;
                ShortVector v = nibbles(w, p + 64L * h + 32 * (k & 1) + half).lanewise(VectorOperators.LSHR, 4 * (k >> 1)).and((short) 15)
                        .or(nibbles(w, p + 128 + 32L * h + half).lanewise(VectorOperators.LSHR, 2 * k).and((short) 3).lanewise(VectorOperators.LSHL, 4))
                        .sub((short) 32);
                FloatVector sum = pairSums(v.mul(acts(q, 32 * blk + half)));
                FloatVector scale = FloatVector.broadcast(F8, d * dx[blk] * scale(w, p, i));
                if (half == 0) a0 = sum.fma(scale, a0);
                else a1 = sum.fma(scale, a1);
            }
        }
        return a0.add(a1).reduceLanes(VectorOperators.ADD);
    }

    /** Scalar reference of the same arithmetic, in double: {@code Σ d·sc·d_x·Σ (q − 32)·q_x} per 16 values. */
    static double dotReference(MemorySegment w, long off, short[] q, float[] dx, int bo, int nb) {
        double s = 0;
        for (int sb = 0; sb < nb / 8; sb++) {
            long p = off + 210L * sb;
            double d = f16(w, p + 208);
            for (int g = 0; g < 8; g++) {   // g = 4·half + quarter
                int h = g >> 2, k = g & 3, blk = bo + 8 * sb + g;
                for (int u = 0; u < 32; u += 16) {
                    long dot = 0;
                    for (int l = u; l < u + 16; l++) {
                        int low = (w.get(ValueLayout.JAVA_BYTE, p + 64L * h + 32 * (k & 1) + l) >> (4 * (k >> 1))) & 15;
                        int high = (w.get(ValueLayout.JAVA_BYTE, p + 128 + 32L * h + l) >> (2 * k)) & 3;
                        dot += (long) ((low | high << 4) - 32) * q[32 * blk + l];
                    }
                    s += d * scale(w, p, 8 * h + 2 * k + u / 16) * dx[blk] * dot;
                }
            }
        }
        return s;
    }
}
