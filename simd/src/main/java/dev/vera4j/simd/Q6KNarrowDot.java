package dev.vera4j.simd;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.vera4j.simd.Narrow.F8;
import static dev.vera4j.simd.Narrow.S16;
import static dev.vera4j.simd.Int8.B16;
import static dev.vera4j.simd.Vec.LE;
import static dev.vera4j.simd.Vec.f16;

/**
 * Q6_K rows ({@link Q6KDot} describes the layout) against int8 activations in 256-bit vectors ({@link Narrow}). Each
 * scale covers 16 values, so every 16 values are one short product vector ({@code (q − 32)·q_x}, at most 32·127 per
 * lane), folded to 8 floats and scaled by {@code d·sc·d_x}. One step takes 16 values of quarter {@code k} of a half
 * and the 16 of quarter {@code k + 2} that share their bytes: the low and high nibbles of the run at
 * {@code (k % 2)·32}, and bit pairs {@code k} and {@code k + 2} of the high-part bytes.
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
            // 32 values per step: quarters k and k + 2 of a half read the same bytes (low and high nibbles of ql, bits
            // 2k and 2k + 4 of qh), 16 values of each, in two accumulators; both k of a half and 16-value run share
            // their qh bytes, loaded once with the bits moved to 4 and 5 and shifted down two for k = 1, so that every
            // shift count is a constant. The body calls the Vector API only, no vector helper of ours: past C2's
            // inlining budget a helper stays a call and boxes its vectors
            for (int hu = 0; hu < 4; hu++) {
                int h = hu >> 1, u = 16 * (hu & 1);
                ShortVector qh = ((ShortVector) ByteVector.fromMemorySegment(B16, w, p + 128 + 32L * h + u, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0))
                        .lanewise(VectorOperators.LSHL, 4);
                for (int k = 0; k < 2; k++) {
                    int blk = bo + 8 * sb + 4 * h + k;
                    ShortVector ql = (ShortVector) ByteVector.fromMemorySegment(B16, w, p + 64L * h + 32 * k + u, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
                    IntVector s0 = ql.and((short) 15).or(qh.and((short) 48))
                            .sub((short) 32).mul(ShortVector.fromArray(S16, q, 32 * blk + u)).reinterpretAsInts();
                    IntVector s1 = ql.lanewise(VectorOperators.LSHR, 4).or(qh.lanewise(VectorOperators.LSHR, 4).and((short) 48))
                            .sub((short) 32).mul(ShortVector.fromArray(S16, q, 32 * blk + 64 + u)).reinterpretAsInts();
                    qh = qh.lanewise(VectorOperators.LSHR, 2);
                    // the pair sums of the short lanes as ints, as Narrow.pairSums forms them
                    FloatVector f0 = (FloatVector) s0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                            .add(s0.lanewise(VectorOperators.ASHR, 16)).convert(VectorOperators.I2F, 0);
                    FloatVector f1 = (FloatVector) s1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                            .add(s1.lanewise(VectorOperators.ASHR, 16)).convert(VectorOperators.I2F, 0);
                    int sc = 8 * h + 2 * k + (hu & 1);
                    a0 = f0.fma(FloatVector.broadcast(F8, d * dx[blk] * w.get(ValueLayout.JAVA_BYTE, p + 192 + sc)), a0);
                    a1 = f1.fma(FloatVector.broadcast(F8, d * dx[blk + 2] * w.get(ValueLayout.JAVA_BYTE, p + 196 + sc)), a1);
                }
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
