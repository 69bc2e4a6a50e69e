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
 * Q4_0 rows against int8-quantized activations ({@link Int8Activations}), llama.cpp's formulation: per block the
 * integer sum {@code Σ q_w·q_x} over the nibbles 0..15 in 16-bit lanes, converted to float once and scaled by
 * {@code d_w·d_x}; the nibble offset 8 is taken out as {@code 8·d_w·(d_x·Σq_x)} per block.
 *
 * <p>The main loop takes 16 blocks (288 bytes) per step in 512-bit registers, so that the per-block scalar work of a
 * block-at-a-time loop (scale loads and conversions, bounds checks, broadcasts) becomes vector work on 16 blocks:
 * <ul>
 * <li>each group of four blocks (72 bytes) is read as two overlapping 64-byte loads, and one two-table byte
 * permute ({@code vpermi2b}) per 32 quant bytes copies each byte {@code v = lo + 16·hi} into both halves of a
 * 16-bit lane, {@code 257·v}; {@code >>> 12} of it is {@code hi};</li>
 * <li>the low nibble needs no mask: in 16-bit arithmetic (mod 2^16, where 257 has the inverse −255),
 * {@code 257v·(−255·x_lo) + hi·(x_hi − 16·x_lo) = lo·x_lo + hi·x_hi}, with both activation rows precomputed in
 * {@link Int8Activations#q4}. Wrapped intermediate products do not matter as long as every lane's true sum fits in
 * a short: a group's two rows give eight lanes per block of at most 4·15·127;</li>
 * <li>two levels of two-table word permutes fold four groups into 32 lanes, two per block (at most 30480, no
 * overflow), which become 16 ints: one lane per block, converted and scaled by 16 weight scales that are gathered
 * from the same loads and widened from fp16 in vector registers.</li>
 * </ul>
 * Blocks after the last whole run of 16 take the block-pair loop {@link #dotBlocks}.
 */
final class Q4IntDot {
    private Q4IntDot() {}

    private static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_512;
    private static final VectorSpecies<Short> S32 = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;
    /** Byte permutes of a group (64 bytes at 72g, then 64 at 72g+8): quant bytes 0..7 and 8..15 of each block, doubled. */
    private static final ByteVector QUANTS_LO = quantIndexes(0), QUANTS_HI = quantIndexes(8);
    /** Word permutes folding two 8-lanes-per-block vectors into one of 4 lanes per block (lane = 4·block + sub). */
    private static final ShortVector FOLD8_A = fold8Indexes(0), FOLD8_B = fold8Indexes(4);
    /** Word permutes folding two 4-lanes-per-block vectors into 2 lanes per block (lane = 2·block + half). */
    private static final ShortVector FOLD4_A = fold4Indexes(0), FOLD4_B = fold4Indexes(1);
    /** Word permute picking the fp16 scales of two groups (words 0, 9, 18, 27 of each first load) into 8 lanes. */
    private static final ShortVector SCALES = scaleIndexes();
    /** Lanes 8..15: the scales of the second pair of groups. */
    private static final VectorMask<Short> SECOND_PAIR = VectorMask.fromLong(S32, 0xff00L);

    static float dot(MemorySegment w, long off, Int8Activations a, int bo, int nb) {
        MemorySegment q4 = a.q4;
        float[] d = a.d, ds = a.ds;
        FloatVector acc = FloatVector.zero(F16);
        int b = 0;
        if ((bo & 15) == 0) {
            for (; b + 16 <= nb; b += 16) {
                long p = off + 18L * b;
                int qi = 32 * (bo + b);
                ByteVector z0 = ByteVector.fromMemorySegment(B64, w, p, LE), y0 = ByteVector.fromMemorySegment(B64, w, p + 8, LE);
                ByteVector z1 = ByteVector.fromMemorySegment(B64, w, p + 72, LE), y1 = ByteVector.fromMemorySegment(B64, w, p + 80, LE);
                ByteVector z2 = ByteVector.fromMemorySegment(B64, w, p + 144, LE), y2 = ByteVector.fromMemorySegment(B64, w, p + 152, LE);
                ByteVector z3 = ByteVector.fromMemorySegment(B64, w, p + 216, LE), y3 = ByteVector.fromMemorySegment(B64, w, p + 224, LE);
                // one group per block of code, written out: a helper method is not reliably inlined at this size
                ShortVector s0, s1, s2, s3;
                {
                    ShortVector lo = QUANTS_LO.selectFrom(z0, y0).reinterpretAsShorts(), hi = QUANTS_HI.selectFrom(z0, y0).reinterpretAsShorts();
                    s0 = lo.mul(ShortVector.fromMemorySegment(S32, q4, 2L * qi, LE))
                            .add(lo.lanewise(VectorOperators.LSHR, 12).mul(ShortVector.fromMemorySegment(S32, q4, 2L * (qi + 32), LE)))
                            .add(hi.mul(ShortVector.fromMemorySegment(S32, q4, 2L * (qi + 64), LE)))
                            .add(hi.lanewise(VectorOperators.LSHR, 12).mul(ShortVector.fromMemorySegment(S32, q4, 2L * (qi + 96), LE)));
                }
                {
                    ShortVector lo = QUANTS_LO.selectFrom(z1, y1).reinterpretAsShorts(), hi = QUANTS_HI.selectFrom(z1, y1).reinterpretAsShorts();
                    s1 = lo.mul(ShortVector.fromMemorySegment(S32, q4, 2L * (qi + 128), LE))
                            .add(lo.lanewise(VectorOperators.LSHR, 12).mul(ShortVector.fromMemorySegment(S32, q4, 2L * (qi + 160), LE)))
                            .add(hi.mul(ShortVector.fromMemorySegment(S32, q4, 2L * (qi + 192), LE)))
                            .add(hi.lanewise(VectorOperators.LSHR, 12).mul(ShortVector.fromMemorySegment(S32, q4, 2L * (qi + 224), LE)));
                }
                {
                    ShortVector lo = QUANTS_LO.selectFrom(z2, y2).reinterpretAsShorts(), hi = QUANTS_HI.selectFrom(z2, y2).reinterpretAsShorts();
                    s2 = lo.mul(ShortVector.fromMemorySegment(S32, q4, 2L * (qi + 256), LE))
                            .add(lo.lanewise(VectorOperators.LSHR, 12).mul(ShortVector.fromMemorySegment(S32, q4, 2L * (qi + 288), LE)))
                            .add(hi.mul(ShortVector.fromMemorySegment(S32, q4, 2L * (qi + 320), LE)))
                            .add(hi.lanewise(VectorOperators.LSHR, 12).mul(ShortVector.fromMemorySegment(S32, q4, 2L * (qi + 352), LE)));
                }
                {
                    ShortVector lo = QUANTS_LO.selectFrom(z3, y3).reinterpretAsShorts(), hi = QUANTS_HI.selectFrom(z3, y3).reinterpretAsShorts();
                    s3 = lo.mul(ShortVector.fromMemorySegment(S32, q4, 2L * (qi + 384), LE))
                            .add(lo.lanewise(VectorOperators.LSHR, 12).mul(ShortVector.fromMemorySegment(S32, q4, 2L * (qi + 416), LE)))
                            .add(hi.mul(ShortVector.fromMemorySegment(S32, q4, 2L * (qi + 448), LE)))
                            .add(hi.lanewise(VectorOperators.LSHR, 12).mul(ShortVector.fromMemorySegment(S32, q4, 2L * (qi + 480), LE)));
                }
                ShortVector t01 = FOLD8_A.selectFrom(s0, s1).add(FOLD8_B.selectFrom(s0, s1));
                ShortVector t23 = FOLD8_A.selectFrom(s2, s3).add(FOLD8_B.selectFrom(s2, s3));
                // two 16-bit halves per int lane, one block each: sign-extend both and add
                IntVector pairs = FOLD4_A.selectFrom(t01, t23).add(FOLD4_B.selectFrom(t01, t23)).reinterpretAsInts();
                IntVector isum = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(pairs.lanewise(VectorOperators.ASHR, 16));
                ShortVector halves = SCALES.selectFrom(z0.reinterpretAsShorts(), z1.reinterpretAsShorts())
                        .blend(SCALES.selectFrom(z2.reinterpretAsShorts(), z3.reinterpretAsShorts()), SECOND_PAIR);
                // fp16 to float as Vec.halves: rebias by a multiply (exact, also for subnormals), keep inf/NaN exponents
                IntVector h = (IntVector) halves.convertShape(VectorOperators.ZERO_EXTEND_S2I, I16, 0);
                IntVector em = h.and(0x7fff), shifted = em.lanewise(VectorOperators.LSHL, 13);
                FloatVector dw = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                        .blend(shifted.or(0x7f800000), em.compare(VectorOperators.GE, 0x7c00))
                        .or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
                FloatVector t = ((FloatVector) isum.convertShape(VectorOperators.I2F, F16, 0))
                        .fma(FloatVector.fromArray(F16, d, bo + b), FloatVector.fromArray(F16, ds, bo + b).mul(-8f));
                acc = t.fma(dw, acc);
            }
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        if (b < nb) s += dotBlocks(w, off + 18L * b, a.q, d, ds, bo + b, nb - b);
        return s;
    }

    /**
     * Two blocks per step in 256-bit short lanes (nibble planes widened from 16 bytes, products of both planes added
     * in shorts, at most 2·15·127), for any block count and offset; {@link #dot} uses it after its last run of 16.
     */
    static float dotBlocks(MemorySegment w, long off, short[] q, float[] d, float[] ds, int bo, int nb) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        float corr = 0;
        int b = 0;
        for (; b + 2 <= nb; b += 2) {
            long p = off + 18L * b;
            int qi = 32 * (bo + b);
            float dw0 = f16(w, p), dw1 = f16(w, p + 18);
            ShortVector w0 = Int8.nibbles(w, p + 2), w1 = Int8.nibbles(w, p + 20);
            ShortVector s0 = w0.and((short) 15).mul(ShortVector.fromArray(Int8.S16, q, qi))
                    .add(w0.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(Int8.S16, q, qi + 16)));
            ShortVector s1 = w1.and((short) 15).mul(ShortVector.fromArray(Int8.S16, q, qi + 32))
                    .add(w1.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(Int8.S16, q, qi + 48)));
            a0 = Int8.toFloat(s0).fma(FloatVector.broadcast(F, dw0 * d[bo + b]), a0);
            a1 = Int8.toFloat(s1).fma(FloatVector.broadcast(F, dw1 * d[bo + b + 1]), a1);
            corr += dw0 * ds[bo + b] + dw1 * ds[bo + b + 1];
        }
        if (b < nb) {
            long p = off + 18L * b;
            int qi = 32 * (bo + b);
            float dw0 = f16(w, p);
            ShortVector w0 = Int8.nibbles(w, p + 2);
            ShortVector s0 = w0.and((short) 15).mul(ShortVector.fromArray(Int8.S16, q, qi))
                    .add(w0.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(Int8.S16, q, qi + 16)));
            a0 = Int8.toFloat(s0).fma(FloatVector.broadcast(F, dw0 * d[bo + b]), a0);
            corr += dw0 * ds[bo + b];
        }
        return Sums.sum(a0, a1) - 8 * corr;
    }

    /** Scalar reference of the same arithmetic: {@code Σ_b d_w·d_x·Σ (q_w − 8)·q_x}, in double. */
    static double dotReference(MemorySegment w, long off, short[] q, float[] d, int bo, int nb) {
        double s = 0;
        for (int b = 0; b < nb; b++) {
            long p = off + 18L * b;
            long isum = 0;
            for (int j = 0; j < 16; j++) {
                int v = w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, p + 2 + j) & 0xff;
                isum += (long) ((v & 15) - 8) * q[32 * (bo + b) + j] + (long) ((v >>> 4) - 8) * q[32 * (bo + b) + j + 16];
            }
            s += (double) f16(w, p) * d[bo + b] * isum;
        }
        return s;
    }

    /** Group bytes {@code o < 64} are table entries {@code o} (first load), the rest {@code o + 56} (second load at +8). */
    private static ByteVector quantIndexes(int first) {
        byte[] idx = new byte[64];
        for (int lane = 0; lane < 32; lane++) {
            int o = 18 * (lane / 8) + 2 + first + lane % 8;
            idx[2 * lane] = idx[2 * lane + 1] = (byte) (o < 64 ? o : o + 56);
        }
        return ByteVector.fromArray(B64, idx, 0);
    }

    /** From vectors with lane {@code 8k + s} for block k of 4: lane {@code 4j + m} for block j of 8, sub {@code m + first}. */
    private static ShortVector fold8Indexes(int first) {
        short[] idx = new short[32];
        for (int lane = 0; lane < 32; lane++) {
            int block = lane / 4, m = lane % 4;
            idx[lane] = (short) ((block / 4) * 32 + (block % 4) * 8 + m + first);
        }
        return ShortVector.fromArray(S32, idx, 0);
    }

    /** From lane {@code 4j + m} (block j of 8): lane {@code 2j + u} for block j of 16, sub {@code 2u + first}. */
    private static ShortVector fold4Indexes(int first) {
        short[] idx = new short[32];
        for (int lane = 0; lane < 32; lane++) {
            int block = lane / 2, u = lane % 2;
            idx[lane] = (short) ((block / 8) * 32 + (block % 8) * 4 + 2 * u + first);
        }
        return ShortVector.fromArray(S32, idx, 0);
    }

    /** Lanes {@code 4g + k} and {@code 8 + 4g + k}: word {@code 9k} (the scale of block k) of table g. */
    private static ShortVector scaleIndexes() {
        short[] idx = new short[32];
        for (int lane = 0; lane < 32; lane++) idx[lane] = (short) (((lane / 4) % 2) * 32 + 9 * (lane % 4));
        return ShortVector.fromArray(S32, idx, 0);
    }

    /** Rows {@code [start, end)} of one token. */
    static final class Job extends Int8Job {
        @Override
        int layouts() { return Int8Activations.Q4_ROWS; }

        @Override
        public void run(int start, int end) {
            MemorySegment w = data;
            Int8Activations a = acts;
            float[] y = this.y;
            int nb = cols / 32;
            for (int t = 0; t < n; t++) {
                for (int r = start; r < end; r++) y[yOff + t * rows + r] = dot(w, rowBytes * r, a, t * nb, nb);
            }
        }
    }
}
