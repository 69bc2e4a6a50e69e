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
 * Q2_K rows against int8 activations in 256-bit vectors ({@link Narrow}). GGUF Q2_K: 16 scale bytes (sub-block
 * {@code j} of 16 values: scale {@code sc_j} in the low nibble, min {@code m_j} in the high one), 64 bytes of bit
 * pairs, fp16 {@code d} and {@code dmin}; value {@code d·sc_j·q − dmin·m_j}. Value {@code l} of activation block
 * {@code b} takes bits {@code 2·(b mod 4)} of byte {@code 16 + 32·(b / 4) + l}, as Q3_K's pairs. Each 16 values are
 * one short product vector ({@code q·q_x}, at most 3·127 per lane), folded to 8 floats and scaled by
 * {@code d·sc_j·d_x}; the mins come off as {@code dmin·m_j·d_x·Σq_x} with the activations' sums per 16 values
 * ({@link Int8Activations#s16}).
 */
final class Q2KNarrowDot {
    private Q2KNarrowDot() {}

    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);

    /** {@code nb} activation blocks of 32 from block {@code bo} (a multiple of 8: whole super-blocks). */
    static float dot(MemorySegment w, long off, Int8Activations a, int bo, int nb) {
        short[] q = a.q;
        float[] dx = a.d;
        int[] s16 = a.s16;
        FloatVector a0 = FloatVector.zero(F8), a1 = a0;
        float mins = 0;
        for (int sb = 0; sb < nb / 8; sb++) {
            long p = off + 84L * sb;
            float d = f16(w, p + 80), dmin = f16(w, p + 82);
            for (int half = 0; half < 2; half++) {
                long scales = w.get(I64, p + 8L * half);   // the eight scale bytes of this half's blocks, two per block
                ShortVector l0 = (ShortVector) ByteVector.fromMemorySegment(B16, w, p + 16 + 32L * half, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
                ShortVector l1 = (ShortVector) ByteVector.fromMemorySegment(B16, w, p + 32 + 32L * half, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
                // one activation block per step, its two sub-blocks in two accumulators; constant shift counts. The
                // body calls the Vector API only, no vector helper of ours: past C2's inlining budget a helper stays a
                // call and boxes its vectors
                for (int k = 0; k < 4; k++) {
                    int blk = bo + 8 * sb + 4 * half + k;
                    IntVector s0 = l0.and((short) 3).mul(ShortVector.fromArray(S16, q, 32 * blk)).reinterpretAsInts();
                    IntVector s1 = l1.and((short) 3).mul(ShortVector.fromArray(S16, q, 32 * blk + 16)).reinterpretAsInts();
                    l0 = l0.lanewise(VectorOperators.LSHR, 2);
                    l1 = l1.lanewise(VectorOperators.LSHR, 2);
                    // the pair sums of the short lanes as ints, as Narrow.pairSums forms them
                    FloatVector f0 = (FloatVector) s0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                            .add(s0.lanewise(VectorOperators.ASHR, 16)).convert(VectorOperators.I2F, 0);
                    FloatVector f1 = (FloatVector) s1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                            .add(s1.lanewise(VectorOperators.ASHR, 16)).convert(VectorOperators.I2F, 0);
                    int sc0 = (int) (scales >>> (16 * k)) & 0xff, sc1 = (int) (scales >>> (16 * k + 8)) & 0xff;
                    a0 = f0.fma(FloatVector.broadcast(F8, d * (sc0 & 15) * dx[blk]), a0);
                    a1 = f1.fma(FloatVector.broadcast(F8, d * (sc1 & 15) * dx[blk]), a1);
                    mins += dmin * dx[blk] * ((sc0 >>> 4) * s16[2 * blk] + (sc1 >>> 4) * s16[2 * blk + 1]);
                }
            }
        }
        return a0.add(a1).reduceLanes(VectorOperators.ADD) - mins;
    }

    /** Scalar reference of the same arithmetic, in double: {@code Σ_j d_x·(d·sc_j·Σ q·q_x − dmin·m_j·Σ q_x)} per 16 values. */
    static double dotReference(MemorySegment w, long off, short[] q, float[] dx, int bo, int nb) {
        double s = 0;
        for (int sb = 0; sb < nb / 8; sb++) {
            long p = off + 84L * sb;
            double d = f16(w, p + 80), dmin = f16(w, p + 82);
            for (int j = 0; j < 16; j++) {
                int sc = w.get(ValueLayout.JAVA_BYTE, p + j) & 0xff;
                long dot = 0, sum = 0;
                for (int i = 0; i < 16; i++) {
                    int v = 16 * j + i, b = v / 32;
                    int quant = w.get(ValueLayout.JAVA_BYTE, p + 16 + 32L * (b / 4) + v % 32) >> (2 * (b % 4)) & 3;
                    dot += (long) quant * q[32 * (bo + 8 * sb) + v];
                    sum += q[32 * (bo + 8 * sb) + v];
                }
                s += dx[bo + 8 * sb + j / 2] * (d * (sc & 15) * dot - dmin * (sc >>> 4) * sum);
            }
        }
        return s;
    }
}
