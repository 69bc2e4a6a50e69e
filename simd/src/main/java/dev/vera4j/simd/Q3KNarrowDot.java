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
 * Q3_K rows ({@link Q3KPacked} describes the GGUF layout: value {@code d·(sc_j − 32)·(q − 4)} for sub-block {@code j}
 * of 16 values, {@code q = low2 + 4·high}) against int8 activations in 256-bit vectors ({@link Narrow}). Value {@code l}
 * of activation block {@code b} (32 values) takes its bit pair from byte {@code 32 + 32·(b / 4) + l} at bits
 * {@code 2·(b mod 4)} and its high bit from bit {@code b} of byte {@code l}; each 16 values are one short product
 * vector ({@code (q − 4)·q_x}, at most 4·127 per lane), folded to 8 floats and scaled by {@code d·(sc_j − 32)·d_x}.
 * The bit pairs and high bits are loaded once per half and super-block and shifted down a step per block, so that every
 * shift count is a constant (AVX2 has no per-lane 16-bit shifts).
 */
final class Q3KNarrowDot {
    private Q3KNarrowDot() {}

    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);

    /** {@code nb} activation blocks of 32 from block {@code bo} (a multiple of 8: whole super-blocks). */
    static float dot(MemorySegment w, long off, Int8Activations a, int bo, int nb) {
        short[] q = a.q;
        float[] dx = a.d;
        FloatVector a0 = FloatVector.zero(F8), a1 = a0;
        for (int sb = 0; sb < nb / 8; sb++) {
            long p = off + 110L * sb;
            float d = f16(w, p + 108);
            // scale j: low four bits in nibble j / 8 of byte 96 + j mod 8, top two in bits 2·(j / 4) of byte 104 + j mod 4
            long low = w.get(I64, p + 96);
            int top = w.get(I32, p + 104);
            // the high bits of values l and 16 + l, bit b for block b: moved to bit 2, shifted down one per block
            ShortVector h0 = ((ShortVector) ByteVector.fromMemorySegment(B16, w, p, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).lanewise(VectorOperators.LSHL, 2);
            ShortVector h1 = ((ShortVector) ByteVector.fromMemorySegment(B16, w, p + 16, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).lanewise(VectorOperators.LSHL, 2);
            for (int half = 0; half < 2; half++) {
                ShortVector l0 = (ShortVector) ByteVector.fromMemorySegment(B16, w, p + 32 + 32L * half, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
                ShortVector l1 = (ShortVector) ByteVector.fromMemorySegment(B16, w, p + 48 + 32L * half, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
                // one activation block per step, its two sub-blocks in two accumulators. The body calls the Vector API
                // only, no vector helper of ours: past C2's inlining budget a helper stays a call and boxes its vectors
                for (int k = 0; k < 4; k++) {
                    int b = 4 * half + k, blk = bo + 8 * sb + b, j = 2 * b;
                    IntVector s0 = l0.and((short) 3).or(h0.and((short) 4)).sub((short) 4).mul(ShortVector.fromArray(S16, q, 32 * blk)).reinterpretAsInts();
                    IntVector s1 = l1.and((short) 3).or(h1.and((short) 4)).sub((short) 4).mul(ShortVector.fromArray(S16, q, 32 * blk + 16)).reinterpretAsInts();
                    l0 = l0.lanewise(VectorOperators.LSHR, 2);
                    l1 = l1.lanewise(VectorOperators.LSHR, 2);
                    h0 = h0.lanewise(VectorOperators.LSHR, 1);
                    h1 = h1.lanewise(VectorOperators.LSHR, 1);
                    // the pair sums of the short lanes as ints, as Narrow.pairSums forms them
                    FloatVector f0 = (FloatVector) s0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                            .add(s0.lanewise(VectorOperators.ASHR, 16)).convert(VectorOperators.I2F, 0);
                    FloatVector f1 = (FloatVector) s1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                            .add(s1.lanewise(VectorOperators.ASHR, 16)).convert(VectorOperators.I2F, 0);
                    int sc0 = (int) (low >>> (8 * (j % 8) + 4 * (j / 8))) & 15 | (top >>> (8 * (j % 4) + 2 * (j / 4)) & 3) << 4;
                    int sc1 = (int) (low >>> (8 * ((j + 1) % 8) + 4 * ((j + 1) / 8))) & 15 | (top >>> (8 * ((j + 1) % 4) + 2 * ((j + 1) / 4)) & 3) << 4;
                    a0 = f0.fma(FloatVector.broadcast(F8, d * (sc0 - 32) * dx[blk]), a0);
                    a1 = f1.fma(FloatVector.broadcast(F8, d * (sc1 - 32) * dx[blk]), a1);
                }
            }
        }
        return a0.add(a1).reduceLanes(VectorOperators.ADD);
    }

    /** Scalar reference of the same arithmetic, in double: {@code Σ_j d·(sc_j − 32)·d_x·Σ (q − 4)·q_x} per 16 values. */
    static double dotReference(MemorySegment w, long off, short[] q, float[] dx, int bo, int nb) {
        double s = 0;
        for (int sb = 0; sb < nb / 8; sb++) {
            long p = off + 110L * sb;
            double d = f16(w, p + 108);
            for (int j = 0; j < 16; j++) {
                int sc = (w.get(ValueLayout.JAVA_BYTE, p + 96 + j % 8) >> (4 * (j / 8)) & 15)
                        | (w.get(ValueLayout.JAVA_BYTE, p + 104 + j % 4) >> (2 * (j / 4)) & 3) << 4;
                long dot = 0;
                for (int i = 0; i < 16; i++) {
                    int v = 16 * j + i, l = v % 32, b = v / 32;
                    int low2 = w.get(ValueLayout.JAVA_BYTE, p + 32 + 32L * (b / 4) + l) >> (2 * (b % 4)) & 3;
                    int high = w.get(ValueLayout.JAVA_BYTE, p + l) >> b & 1;
                    dot += (long) (low2 + 4 * high - 4) * q[32 * (bo + 8 * sb) + v];
                }
                s += d * (sc - 32) * dx[bo + 8 * sb + j / 2] * dot;
            }
        }
        return s;
    }
}
