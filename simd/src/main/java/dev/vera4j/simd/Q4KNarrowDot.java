package dev.vera4j.simd;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static dev.vera4j.simd.Narrow.F8;
import static dev.vera4j.simd.Narrow.LANE0;
import static dev.vera4j.simd.Narrow.LANE1;
import static dev.vera4j.simd.Narrow.NEXT2;
import static dev.vera4j.simd.Narrow.S16;
import static dev.vera4j.simd.Int8.B16;
import static dev.vera4j.simd.Vec.LE;
import static dev.vera4j.simd.Vec.f16;

/**
 * Q4_K rows ({@link Q4KDot} describes the layout) against int8 activations in 256-bit vectors ({@link Narrow}). A
 * sub-block of 32 values lines up with one activation block of 32, so each sub-block is one integer sum
 * {@code Σ q·q_x} (the low or high nibbles of 32 bytes against the block's activations, at most 2·15·127 per short
 * lane), scaled by {@code d·sc_j·d_x}; the mins come off as {@code dmin·m_j·(d_x·Σq_x)}. The eight scales and the
 * eight mins of a super-block are formed as one vector each, not per sub-block in scalar code. Per-32 activation
 * scales, as for Q4_0, are finer than llama.cpp's one scale per 256 ({@code Q8_K}). One step takes two sub-blocks, the
 * low and the high nibbles of the same 32 bytes, in two accumulators.
 */
final class Q4KNarrowDot {
    private Q4KNarrowDot() {}

    /** {@code nb} activation blocks of 32 from block {@code bo} (a multiple of 8: whole super-blocks). */
    static float dot(MemorySegment w, long off, Int8Activations a, int bo, int nb) {
        short[] q = a.q;
        float[] dx = a.d, ds = a.ds;
        FloatVector a0 = FloatVector.zero(F8), a1 = a0, mins = a0;
        for (int sb = 0; sb < nb / 8; sb++) {
            long p = off + 144L * sb;
            // the scales of the eight sub-blocks at once, d·sc_j·d_x in lane j; each step takes lanes 0 and 1
            FloatVector c = ((FloatVector) LongVector.broadcast(LongVector.SPECIES_128, Q4KDot.scales(w, p + 4)).reinterpretAsBytes()
                    .convertShape(VectorOperators.B2F, F8, 0)).mul(f16(w, p)).mul(FloatVector.fromArray(F8, dx, bo + 8 * sb));
            // the mins of the eight sub-blocks at once: dmin·m_j·(d_x·Σq_x) in lane j
            FloatVector m = (FloatVector) LongVector.broadcast(LongVector.SPECIES_128, Q4KDot.mins(w, p + 4)).reinterpretAsBytes()
                    .convertShape(VectorOperators.B2F, F8, 0);
            mins = m.mul(FloatVector.fromArray(F8, ds, bo + 8 * sb)).fma(FloatVector.broadcast(F8, f16(w, p + 2)), mins);
            // two sub-blocks per step: the low and the high nibbles of the same 32 bytes. The body calls the Vector
            // API only, no vector helper of ours: past C2's inlining budget a helper stays a call and boxes its vectors
            for (int j = 0; j < 8; j += 2) {
                int blk = bo + 8 * sb + j;
                long qs = p + 16 + 16L * j;
                ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(B16, w, qs, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
                ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(B16, w, qs + 16, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
                IntVector s0 = w0.and((short) 15).mul(ShortVector.fromArray(S16, q, 32 * blk))
                        .add(w1.and((short) 15).mul(ShortVector.fromArray(S16, q, 32 * blk + 16))).reinterpretAsInts();
                IntVector s1 = w0.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(S16, q, 32 * blk + 32))
                        .add(w1.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(S16, q, 32 * blk + 48))).reinterpretAsInts();
                // the pair sums of the short lanes as ints, as Narrow.pairSums forms them
                FloatVector f0 = (FloatVector) s0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(s0.lanewise(VectorOperators.ASHR, 16)).convert(VectorOperators.I2F, 0);
                FloatVector f1 = (FloatVector) s1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(s1.lanewise(VectorOperators.ASHR, 16)).convert(VectorOperators.I2F, 0);
                a0 = f0.fma(c.rearrange(LANE0), a0);
                a1 = f1.fma(c.rearrange(LANE1), a1);
                c = c.rearrange(NEXT2);
            }
        }
        return a0.add(a1).sub(mins).reduceLanes(VectorOperators.ADD);
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
