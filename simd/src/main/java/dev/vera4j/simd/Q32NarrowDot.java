package dev.vera4j.simd;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.vera4j.simd.Narrow.F8;
import static dev.vera4j.simd.Narrow.S16;
import static dev.vera4j.simd.Int8.B16;
import static dev.vera4j.simd.Vec.LE;
import static dev.vera4j.simd.Vec.f16;

/**
 * Q4_1, Q5_0 and Q5_1 rows against int8 activations in 256-bit vectors ({@link Narrow}): blocks of 32 values whose 16
 * quant bytes hold values {@code l} (low nibble) and {@code 16 + l} (high nibble), as in Q4_0. Q5_0 and Q5_1 add a
 * fifth bit per value from a 32-bit word (bit {@code l} for value {@code l}); a lane cannot shift by its own count in
 * AVX2's 16-bit lanes, so each lane tests its bit against a constant mask instead. Q5_0 is {@code d·(q − 16)}; Q4_1
 * and Q5_1 are {@code d·q + m}, whose {@code m·Σx} comes off per block as {@code m·(d_x·Σq_x)}. Products fit 16 bits
 * (at most 2·31·127 per lane). Layouts: Q4_1 fp16 d, fp16 m, 16 bytes; Q5_0 fp16 d, 4 bytes of high bits, 16 bytes;
 * Q5_1 fp16 d, fp16 m, 4 bytes of high bits, 16 bytes.
 */
final class Q32NarrowDot {
    private Q32NarrowDot() {}

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    /** Lane {@code l} holds bit {@code l}: which bit of the fifth-bit word (or of its upper half) the lane's value takes. */
    private static final ShortVector LANE_BITS = ShortVector.fromArray(S16, laneBits(), 0);

    private static short[] laneBits() {
        short[] b = new short[16];
        for (int l = 0; l < 16; l++) b[l] = (short) (1 << l);
        return b;
    }

    /** Q4_1: {@code nb} blocks of 20 bytes against the activation blocks from {@code bo}. */
    static float dotQ4_1(MemorySegment w, long off, Int8Activations a, int bo, int nb) {
        short[] q = a.q;
        float[] dx = a.d, ds = a.ds;
        FloatVector acc = FloatVector.zero(F8);
        float mins = 0;
        for (int b = 0; b < nb; b++) {
            long p = off + 20L * b;
            int blk = bo + b;
            ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B16, w, p + 4, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
            IntVector s = v.and((short) 15).mul(ShortVector.fromArray(S16, q, 32 * blk))
                    .add(v.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(S16, q, 32 * blk + 16))).reinterpretAsInts();
            // the pair sums of the short lanes as ints, as Narrow.pairSums forms them
            FloatVector f = (FloatVector) s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(s.lanewise(VectorOperators.ASHR, 16)).convert(VectorOperators.I2F, 0);
            acc = f.fma(FloatVector.broadcast(F8, f16(w, p) * dx[blk]), acc);
            mins += f16(w, p + 2) * ds[blk];
        }
        return acc.reduceLanes(VectorOperators.ADD) + mins;
    }

    /** Q5_0: {@code nb} blocks of 22 bytes against the activation blocks from {@code bo}. */
    static float dotQ5_0(MemorySegment w, long off, Int8Activations a, int bo, int nb) {
        short[] q = a.q;
        float[] dx = a.d;
        FloatVector acc = FloatVector.zero(F8);
        for (int b = 0; b < nb; b++) {
            long p = off + 22L * b;
            int blk = bo + b;
            int qh = w.get(I32, p + 2);
            ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B16, w, p + 6, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
            // q − 16 = low − 16 where the fifth bit is clear, low where it is set
            VectorMask<Short> lowClear = ShortVector.broadcast(S16, (short) qh).and(LANE_BITS).compare(VectorOperators.EQ, (short) 0);
            VectorMask<Short> highClear = ShortVector.broadcast(S16, (short) (qh >>> 16)).and(LANE_BITS).compare(VectorOperators.EQ, (short) 0);
            IntVector s = v.and((short) 15).lanewise(VectorOperators.SUB, (short) 16, lowClear).mul(ShortVector.fromArray(S16, q, 32 * blk))
                    .add(v.lanewise(VectorOperators.LSHR, 4).lanewise(VectorOperators.SUB, (short) 16, highClear).mul(ShortVector.fromArray(S16, q, 32 * blk + 16)))
                    .reinterpretAsInts();
            FloatVector f = (FloatVector) s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(s.lanewise(VectorOperators.ASHR, 16)).convert(VectorOperators.I2F, 0);
            acc = f.fma(FloatVector.broadcast(F8, f16(w, p) * dx[blk]), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** Q5_1: {@code nb} blocks of 24 bytes against the activation blocks from {@code bo}. */
    static float dotQ5_1(MemorySegment w, long off, Int8Activations a, int bo, int nb) {
        short[] q = a.q;
        float[] dx = a.d, ds = a.ds;
        FloatVector acc = FloatVector.zero(F8);
        float mins = 0;
        for (int b = 0; b < nb; b++) {
            long p = off + 24L * b;
            int blk = bo + b;
            int qh = w.get(I32, p + 4);
            ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B16, w, p + 8, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
            VectorMask<Short> lowSet = ShortVector.broadcast(S16, (short) qh).and(LANE_BITS).compare(VectorOperators.NE, (short) 0);
            VectorMask<Short> highSet = ShortVector.broadcast(S16, (short) (qh >>> 16)).and(LANE_BITS).compare(VectorOperators.NE, (short) 0);
            IntVector s = v.and((short) 15).lanewise(VectorOperators.ADD, (short) 16, lowSet).mul(ShortVector.fromArray(S16, q, 32 * blk))
                    .add(v.lanewise(VectorOperators.LSHR, 4).lanewise(VectorOperators.ADD, (short) 16, highSet).mul(ShortVector.fromArray(S16, q, 32 * blk + 16)))
                    .reinterpretAsInts();
            FloatVector f = (FloatVector) s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(s.lanewise(VectorOperators.ASHR, 16)).convert(VectorOperators.I2F, 0);
            acc = f.fma(FloatVector.broadcast(F8, f16(w, p) * dx[blk]), acc);
            mins += f16(w, p + 2) * ds[blk];
        }
        return acc.reduceLanes(VectorOperators.ADD) + mins;
    }

    /**
     * Scalar reference of the same arithmetic, in double: per block {@code d_x·(d·Σ q·q_x + m·Σ q_x)}, with {@code q}
     * less 16 and no {@code m} for Q5_0. {@code bytes} is the block size (20 Q4_1, 22 Q5_0, 24 Q5_1).
     */
    static double dotReference(int bytes, MemorySegment w, long off, short[] q, float[] dx, int bo, int nb) {
        boolean hasMin = bytes != 22, fifth = bytes != 20;
        int qs = bytes - 16, qhAt = hasMin ? 4 : 2;
        double s = 0;
        for (int b = 0; b < nb; b++) {
            long p = off + (long) bytes * b;
            int blk = bo + b;
            int qh = fifth ? w.get(I32, p + qhAt) : 0;
            long dot = 0, sum = 0;
            for (int v = 0; v < 32; v++) {
                int quant = (w.get(ValueLayout.JAVA_BYTE, p + qs + v % 16) >> (4 * (v / 16))) & 15;
                if (fifth) quant |= ((qh >>> v) & 1) << 4;
                if (!hasMin) quant -= 16;
                dot += (long) quant * q[32 * blk + v];
                sum += q[32 * blk + v];
            }
            s += dx[blk] * (f16(w, p) * (double) dot + (hasMin ? f16(w, p + 2) * (double) sum : 0));
        }
        return s;
    }
}
