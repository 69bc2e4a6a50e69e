package dev.vera4j.simd;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

import static dev.vera4j.simd.Vec.*;

/**
 * Q8_0 rows against int8-quantized activations ({@link Int8Activations}): per block {@code d_w·d_x·Σ q_w·q_x} with the
 * integer sum exact.
 *
 * <p>The main loop takes 16 blocks (544 bytes) per step in 512-bit registers: first the 16 weight scales, gathered
 * by word permutes from one 64-byte load per pair of blocks and widened from fp16 in registers, times the 16
 * activation scales; then per block its 32 weights sign-extended to shorts in one load, one 32-lane multiply
 * (|product| at most 128·127), adjacent products added as ints (16 lanes), converted to float and accumulated with
 * the block's {@code d_w·d_x} permuted into every lane. The lane sums of the accumulators are the dot product.
 * Blocks after the last whole run of 16 take the block-pair loop {@link #dotBlocks}.
 */
final class Q8IntDot {
    private Q8IntDot() {}

    private static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_512;
    private static final VectorSpecies<Short> S32 = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    /** Word permute picking the fp16 scales (words 0 and 17) of two pairs into each run of four lanes. */
    private static final ShortVector SCALES = scaleIndexes();
    private static final VectorMask<Short> PAIRS_23 = VectorMask.fromLong(S32, 0xf0L), PAIRS_45 = VectorMask.fromLong(S32, 0xf00L),
            PAIRS_67 = VectorMask.fromLong(S32, 0xf000L);

    static float dot(MemorySegment w, long off, Int8Activations a, int bo, int nb) {
        short[] q = a.q;
        float[] d = a.d;
        FloatVector acc0 = FloatVector.zero(F16), acc1 = acc0;
        int b = 0;
        for (; b + 16 <= nb; b += 16) {
            long p = off + 34L * b;
            int qi = 32 * (bo + b);
            ShortVector halves = SCALES.selectFrom(pairStart(w, p), pairStart(w, p + 68))
                    .blend(SCALES.selectFrom(pairStart(w, p + 136), pairStart(w, p + 204)), PAIRS_23)
                    .blend(SCALES.selectFrom(pairStart(w, p + 272), pairStart(w, p + 340)), PAIRS_45)
                    .blend(SCALES.selectFrom(pairStart(w, p + 408), pairStart(w, p + 476)), PAIRS_67);
            // fp16 to float as Vec.halves: rebias by a multiply (exact, also for subnormals), keep inf/NaN exponents
            IntVector h = (IntVector) halves.convertShape(VectorOperators.ZERO_EXTEND_S2I, I16, 0);
            IntVector em = h.and(0x7fff), shifted = em.lanewise(VectorOperators.LSHL, 13);
            FloatVector dw = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                    .blend(shifted.or(0x7f800000), em.compare(VectorOperators.GE, 0x7c00))
                    .or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            IntVector scales = dw.mul(FloatVector.fromArray(F16, d, bo + b)).reinterpretAsInts();
            for (int j = 0; j < 16; j += 2) {
                long pj = p + 34L * j;
                int qj = qi + 32 * j;
                ShortVector e0 = (ShortVector) ByteVector.fromMemorySegment(B32, w, pj + 2, LE).convertShape(VectorOperators.B2S, S32, 0);
                ShortVector e1 = (ShortVector) ByteVector.fromMemorySegment(B32, w, pj + 36, LE).convertShape(VectorOperators.B2S, S32, 0);
                IntVector u0 = e0.mul(ShortVector.fromArray(S32, q, qj)).reinterpretAsInts();
                IntVector u1 = e1.mul(ShortVector.fromArray(S32, q, qj + 32)).reinterpretAsInts();
                // adjacent product pairs as ints, 16 lanes of one block each: an int lane u = hi·2¹⁶ + lo (lo unsigned),
                // so u + (u << 16) has hi + lo in its top 16 bits, which mod 2¹⁶ is hi + (lo as signed), and that sum
                // (|·| ≤ 2·128·127) fits: the arithmetic shift right gives it exactly, in 3 operations instead of 4
                IntVector i0 = u0.add(u0.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                IntVector i1 = u1.add(u1.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                IntVector lane = IntVector.broadcast(I16, j);   // the block's d_w·d_x in every lane
                acc0 = ((FloatVector) i0.convertShape(VectorOperators.I2F, F16, 0)).fma(lane.selectFrom(scales).reinterpretAsFloats(), acc0);
                acc1 = ((FloatVector) i1.convertShape(VectorOperators.I2F, F16, 0)).fma(lane.add(1).selectFrom(scales).reinterpretAsFloats(), acc1);
            }
        }
        float s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        if (b < nb) s += dotBlocks(w, off + 34L * b, q, d, bo + b, nb - b);
        return s;
    }

    /**
     * {@link #dot} of two rows at once: {@code y[i0]} for the row at {@code off0} and {@code y[i1]} for the row at
     * {@code off1}. The callers pass rows far apart, so the core streams two separate runs of memory, which its
     * prefetchers follow (two adjacent rows, one stream with gaps, were slower than one). Measured on one thread in a
     * harness: 26 GB/s on streamed rows against 10–14 for {@link #dot}, about what a plain read of the mapping reaches.
     * Each block's scale comes from a scalar fp16 conversion and a broadcast (the same bits as {@link #dot}'s permute
     * gather, which cost half of {@link #dot}'s time on cached rows); the four block products are written out.
     */
    static void dot2(MemorySegment w, long off0, long off1, Int8Activations a, int bo, int nb, float[] y, int i0, int i1) {
        short[] q = a.q;
        float[] d = a.d;
        FloatVector acc0 = FloatVector.zero(F16), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        int b = 0;
        for (; b + 2 <= nb; b += 2) {
            long p0 = off0 + 34L * b, p1 = off1 + 34L * b;
            int qi = 32 * (bo + b);
            float d0 = d[bo + b], d1 = d[bo + b + 1];
            ShortVector x0 = ShortVector.fromArray(S32, q, qi), x1 = ShortVector.fromArray(S32, q, qi + 32);
            IntVector u00 = ((ShortVector) ByteVector.fromMemorySegment(B32, w, p0 + 2, LE).convertShape(VectorOperators.B2S, S32, 0)).mul(x0).reinterpretAsInts();
            acc0 = ((FloatVector) u00.add(u00.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).convertShape(VectorOperators.I2F, F16, 0))
                    .fma(FloatVector.broadcast(F16, f16(w, p0) * d0), acc0);
            IntVector u10 = ((ShortVector) ByteVector.fromMemorySegment(B32, w, p1 + 2, LE).convertShape(VectorOperators.B2S, S32, 0)).mul(x0).reinterpretAsInts();
            acc2 = ((FloatVector) u10.add(u10.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).convertShape(VectorOperators.I2F, F16, 0))
                    .fma(FloatVector.broadcast(F16, f16(w, p1) * d0), acc2);
            IntVector u01 = ((ShortVector) ByteVector.fromMemorySegment(B32, w, p0 + 34 + 2, LE).convertShape(VectorOperators.B2S, S32, 0)).mul(x1).reinterpretAsInts();
            acc1 = ((FloatVector) u01.add(u01.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).convertShape(VectorOperators.I2F, F16, 0))
                    .fma(FloatVector.broadcast(F16, f16(w, p0 + 34) * d1), acc1);
            IntVector u11 = ((ShortVector) ByteVector.fromMemorySegment(B32, w, p1 + 34 + 2, LE).convertShape(VectorOperators.B2S, S32, 0)).mul(x1).reinterpretAsInts();
            acc3 = ((FloatVector) u11.add(u11.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).convertShape(VectorOperators.I2F, F16, 0))
                    .fma(FloatVector.broadcast(F16, f16(w, p1 + 34) * d1), acc3);
        }
        float s0 = acc0.add(acc1).reduceLanes(VectorOperators.ADD), s1 = acc2.add(acc3).reduceLanes(VectorOperators.ADD);
        if (b < nb) {
            s0 += dotBlocks(w, off0 + 34L * b, q, d, bo + b, nb - b);
            s1 += dotBlocks(w, off1 + 34L * b, q, d, bo + b, nb - b);
        }
        y[i0] = s0;
        y[i1] = s1;
    }

    private static ShortVector pairStart(MemorySegment w, long p) {
        return ByteVector.fromMemorySegment(B64, w, p, LE).reinterpretAsShorts();
    }

    /**
     * Two blocks per step in 256-bit short lanes (16 weights sign-extended per load, both halves of a block added in
     * shorts), for any block count and offset; {@link #dot} uses it after its last run of 16.
     */
    static float dotBlocks(MemorySegment w, long off, short[] q, float[] d, int bo, int nb) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int b = 0;
        for (; b + 2 <= nb; b += 2) {
            long p = off + 34L * b;
            int qi = 32 * (bo + b);
            ShortVector s0 = Int8.signed(w, p + 2).mul(ShortVector.fromArray(Int8.S16, q, qi))
                    .add(Int8.signed(w, p + 18).mul(ShortVector.fromArray(Int8.S16, q, qi + 16)));
            ShortVector s1 = Int8.signed(w, p + 36).mul(ShortVector.fromArray(Int8.S16, q, qi + 32))
                    .add(Int8.signed(w, p + 52).mul(ShortVector.fromArray(Int8.S16, q, qi + 48)));
            a0 = Int8.toFloat(s0).fma(FloatVector.broadcast(F, f16(w, p) * d[bo + b]), a0);
            a1 = Int8.toFloat(s1).fma(FloatVector.broadcast(F, f16(w, p + 34) * d[bo + b + 1]), a1);
        }
        if (b < nb) {
            long p = off + 34L * b;
            int qi = 32 * (bo + b);
            ShortVector s0 = Int8.signed(w, p + 2).mul(ShortVector.fromArray(Int8.S16, q, qi))
                    .add(Int8.signed(w, p + 18).mul(ShortVector.fromArray(Int8.S16, q, qi + 16)));
            a0 = Int8.toFloat(s0).fma(FloatVector.broadcast(F, f16(w, p) * d[bo + b]), a0);
        }
        return Sums.sum(a0, a1);
    }

    /** Scalar reference of the same arithmetic: {@code Σ_b d_w·d_x·Σ q_w·q_x}, in double. */
    static double dotReference(MemorySegment w, long off, short[] q, float[] d, int bo, int nb) {
        double s = 0;
        for (int b = 0; b < nb; b++) {
            long p = off + 34L * b;
            long isum = 0;
            for (int j = 0; j < 32; j++) isum += (long) w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, p + 2 + j) * q[32 * (bo + b) + j];
            s += (double) f16(w, p) * d[bo + b] * isum;
        }
        return s;
    }

    /** Lanes {@code 4i + 2t + k}: word {@code 17k} (the scale of block k of the pair) of table t. */
    private static ShortVector scaleIndexes() {
        short[] idx = new short[32];
        for (int lane = 0; lane < 32; lane++) idx[lane] = (short) (((lane / 2) % 2) * 32 + 17 * (lane % 2));
        return ShortVector.fromArray(S32, idx, 0);
    }

    /** {@code -Dvera4j.q8single=true}: one row at a time, for A/B measurements. */
    static final boolean PAIRS = !Tuning.Q8_SINGLE;

    /** Rows {@code [start, end)} of every token; row r paired with row r + half the range (see {@link #dot2}). */
    static final class Job extends Int8Job {
        @Override
        int layouts() { return Int8Activations.BLOCKS; }

        @Override
        public void run(int start, int end) {
            MemorySegment w = data;
            Int8Activations a = acts;
            float[] y = this.y;
            int nb = cols / 32;
            for (int t = 0; t < n; t++) {
                int yt = yOff + t * rows, half = PAIRS ? (end - start) / 2 : 0;
                // row r with row r + half: two far-apart streams (see dot2)
                for (int r = start; r < start + half; r++) dot2(w, rowBytes * r, rowBytes * (r + half), a, t * nb, nb, y, yt + r, yt + r + half);
                for (int r = start + 2 * half; r < end; r++) y[yt + r] = dot(w, rowBytes * r, a, t * nb, nb);
            }
        }
    }
}
