package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.vera4j.simd.RunLayout.bits;
import static dev.vera4j.simd.RunLayout.put;
import static dev.vera4j.simd.Vec.LE;

/**
 * One-token products of IQ4_XS rows, packed as a plane of 4-bit indexes in {@link KOrder}. GGUF IQ4_XS: fp16
 * {@code d}, 2 bytes of the scales' top bits, 4 bytes of their low nibbles, 128 bytes of indexes; value
 * {@code = d·(ls[J] − 32)·K[index]} for sub-block {@code J} of 32 values, with the non-linear levels {@code K} of
 * IQ4_NL ({@link #LEVELS}). Packed, per super-block:
 * <pre>
 *   bytes   0 .. 127   the indexes: nibble t mod 4 of short l of vector t / 4 for KOrder position (t, l)
 *   bytes 128 .. 133   the scales, unchanged (top bits, then low nibbles)
 *   bytes 134 .. 135   d
 * </pre>
 * A level lookup is one 32-lane word permute per KOrder vector. Products of two levels reach 127·127, so two KOrder
 * vectors' products are added as shorts and each such sum is widened to ints (adjacent lanes sign-extended and added).
 */
final class IQ4XSPacked {
    private IQ4XSPacked() {}

    static final int BYTES = 136;
    /** ggml's {@code kvalues_iq4nl}. */
    static final byte[] LEVELS = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S32 = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    /** The levels in 32 short lanes (twice) and in 16 int lanes, for lookups by index. */
    static final ShortVector LEVELS16 = ShortVector.fromArray(S32, levelShorts(), 0);
    static final IntVector LEVELS32 = IntVector.fromArray(I16, java.util.stream.IntStream.range(0, 16).map(i -> LEVELS[i]).toArray(), 0);
    /**
     * From the 16 bytes at 120 (the last indexes, the scales, d), per int lane {@code i} (sub-block {@code J = i / 2}):
     * the byte with {@code J}'s low nibble ({@code 130 + J / 2}, nibble {@code J mod 2}) and with its top bits
     * ({@code 128 + J / 4}, bits {@code 2(J mod 4)}).
     */
    private static final VectorShuffle<Integer> LOW_BYTE = VectorShuffle.fromOp(I16, i -> 10 + i / 4), TOP_BYTE = VectorShuffle.fromOp(I16, i -> 8 + i / 8);
    private static final IntVector LOW_SHIFT = IntVector.fromArray(I16, java.util.stream.IntStream.range(0, 16).map(i -> 4 * (i / 2 % 2)).toArray(), 0);
    private static final IntVector TOP_SHIFT = IntVector.fromArray(I16, java.util.stream.IntStream.range(0, 16).map(i -> 2 * (i / 2 % 4)).toArray(), 0);

    private static short[] levelShorts() {
        short[] s = new short[32];
        for (int i = 0; i < 32; i++) s[i] = LEVELS[i % 16];
        return s;
    }

    static final RunLayout LAYOUT = new Layout();

    /** Fields: the 256 indexes (0..15), the 8 scales (0..63) and the 2 bytes of d. */
    private static final class Layout extends RunLayout {
        Layout() { super(GgmlType.IQ4_XS, Tuning.INT8_MAX_TOKENS); }

        @Override
        int fieldCount() { return 256 + 8 + 2; }

        @Override
        void readGguf(byte[] r, int[] f) {
            for (int v = 0; v < 256; v++) f[v] = bits(r, 8 + 16 * (v / 32) + v % 16, 4 * (v % 32 / 16), 4);
            readScales(r, 2, 4, f);
            f[264] = r[0] & 0xff;
            f[265] = r[1] & 0xff;
        }

        @Override
        void writeGguf(int[] f, byte[] r) {
            for (int v = 0; v < 256; v++) put(r, 8 + 16 * (v / 32) + v % 16, 4 * (v % 32 / 16), 4, f[v]);
            writeScales(f, r, 2, 4);
            r[0] = (byte) f[264];
            r[1] = (byte) f[265];
        }

        @Override
        void readPacked(byte[] r, int[] f) {
            for (int pos = 0; pos < 256; pos++) f[KOrder.SOURCE[pos]] = bits(r, nibbleByte(pos), nibbleShift(pos), 4);
            readScales(r, 128, 130, f);
            f[264] = r[134] & 0xff;
            f[265] = r[135] & 0xff;
        }

        @Override
        void writePacked(int[] f, byte[] r) {
            for (int pos = 0; pos < 256; pos++) put(r, nibbleByte(pos), nibbleShift(pos), 4, f[KOrder.SOURCE[pos]]);
            writeScales(f, r, 128, 130);
            r[134] = (byte) f[264];
            r[135] = (byte) f[265];
        }

        /** Scale J: low nibble J mod 2 of byte {@code lo + J / 2}, top bits 2J of the 16-bit word at {@code hi}. */
        private static void readScales(byte[] r, int hi, int lo, int[] f) {
            for (int j = 0; j < 8; j++) f[256 + j] = bits(r, lo + j / 2, 4 * (j % 2), 4) | bits(r, hi + j / 4, 2 * (j % 4), 2) << 4;
        }

        private static void writeScales(int[] f, byte[] r, int hi, int lo) {
            for (int j = 0; j < 8; j++) {
                put(r, lo + j / 2, 4 * (j % 2), 4, f[256 + j]);
                put(r, hi + j / 4, 2 * (j % 4), 2, f[256 + j] >> 4);
            }
        }

        @Override
        void decodeRuns(MemorySegment packed, long off, int runs, float[] out, int o) { decode(packed, off, runs, out, o); }

        @Override
        float dot(MemorySegment packed, long off, Int8Activations a, int ro, int runs) { return IQ4XSPacked.dot(packed, off, a, ro, runs); }

        @Override
        void dots(MemorySegment packed, long off, Int8Activations a, int ro, int runs, int m, float[] y, int yo, int ys) {
            IQ4XSPacked.dots(packed, off, a, ro, runs, m, y, yo, ys);
        }


        /** {@code d·Σ_J (ls[J] − 32)·Σ K[index]·x}. */
        @Override
        double runDot(int[] f, int[] x, boolean magnitude) {
            long isum = 0;
            for (int v = 0; v < 256; v++) {
                long t = (long) (f[256 + v / 32] - 32) * LEVELS[f[v]] * x[v];
                isum += magnitude ? Math.abs(t) : t;
            }
            double d = RunLayout.half(f, 264);
            return (magnitude ? Math.abs(d) : d) * isum;
        }
    }

    static float dot(MemorySegment w, long off, Int8Activations a, int ro, int runs) {
        short[] xs = a.k;
        float[] xd = a.kd;
        ShortVector k = LEVELS16;
        FloatVector acc = FloatVector.zero(F16);
        for (int s = 0; s < runs; s++) {
            long p = off + (long) BYTES * s;
            int xi = 256 * (ro + s);
            ShortVector p0 = ShortVector.fromMemorySegment(S32, w, p, LE), p1 = ShortVector.fromMemorySegment(S32, w, p + 64, LE);
            ShortVector s01 = p0.and((short) 15).selectFrom(k).mul(ShortVector.fromArray(S32, xs, xi))
                    .add(p0.lanewise(VectorOperators.LSHR, 4).and((short) 15).selectFrom(k).mul(ShortVector.fromArray(S32, xs, xi + 32)));
            ShortVector s23 = p0.lanewise(VectorOperators.LSHR, 8).and((short) 15).selectFrom(k).mul(ShortVector.fromArray(S32, xs, xi + 64))
                    .add(p0.lanewise(VectorOperators.LSHR, 12).selectFrom(k).mul(ShortVector.fromArray(S32, xs, xi + 96)));
            ShortVector s45 = p1.and((short) 15).selectFrom(k).mul(ShortVector.fromArray(S32, xs, xi + 128))
                    .add(p1.lanewise(VectorOperators.LSHR, 4).and((short) 15).selectFrom(k).mul(ShortVector.fromArray(S32, xs, xi + 160)));
            ShortVector s67 = p1.lanewise(VectorOperators.LSHR, 8).and((short) 15).selectFrom(k).mul(ShortVector.fromArray(S32, xs, xi + 192))
                    .add(p1.lanewise(VectorOperators.LSHR, 12).selectFrom(k).mul(ShortVector.fromArray(S32, xs, xi + 224)));
            // each two-vector sum's adjacent lanes sign-extended and added into ints
            IntVector u01 = s01.reinterpretAsInts(), u23 = s23.reinterpretAsInts(), u45 = s45.reinterpretAsInts(), u67 = s67.reinterpretAsInts();
            IntVector sums = u01.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u01.lanewise(VectorOperators.ASHR, 16))
                    .add(u23.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u23.lanewise(VectorOperators.ASHR, 16)))
                    .add(u45.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u45.lanewise(VectorOperators.ASHR, 16)))
                    .add(u67.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u67.lanewise(VectorOperators.ASHR, 16)));
            IntVector b = (IntVector) ByteVector.fromMemorySegment(B16, w, p + 120, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            IntVector scales = b.rearrange(LOW_BYTE).lanewise(VectorOperators.LSHR, LOW_SHIFT).and(15)
                    .or(b.rearrange(TOP_BYTE).lanewise(VectorOperators.LSHR, TOP_SHIFT).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
            float d = Float.float16ToFloat(w.get(HALF, p + 134)) * xd[ro + s];
            acc = ((FloatVector) sums.mul(scales).convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, d), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * {@link #dot} for {@code m} tokens, 2 to 4 (token {@code t}'s runs from {@code ro + t·runs}, its sum at
     * {@code y[yo + t·ys]}): each super-block's nibbles are looked up in the levels, and its scales unpacked, once for
     * them all. The same operations per token.
     */
    static void dots(MemorySegment w, long off, Int8Activations a, int ro, int runs, int m, float[] y, int yo, int ys) {
        short[] xs = a.k;
        float[] xd = a.kd;
        ShortVector k = LEVELS16;
        int ts = 256 * runs;
        FloatVector acc0 = FloatVector.zero(F16), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (int s = 0; s < runs; s++) {
            long p = off + (long) BYTES * s;
            int xi = 256 * (ro + s), di = ro + s;
            ShortVector p0 = ShortVector.fromMemorySegment(S32, w, p, LE), p1 = ShortVector.fromMemorySegment(S32, w, p + 64, LE);
            ShortVector w0 = p0.and((short) 15).selectFrom(k), w1 = p0.lanewise(VectorOperators.LSHR, 4).and((short) 15).selectFrom(k);
            ShortVector w2 = p0.lanewise(VectorOperators.LSHR, 8).and((short) 15).selectFrom(k), w3 = p0.lanewise(VectorOperators.LSHR, 12).selectFrom(k);
            ShortVector w4 = p1.and((short) 15).selectFrom(k), w5 = p1.lanewise(VectorOperators.LSHR, 4).and((short) 15).selectFrom(k);
            ShortVector w6 = p1.lanewise(VectorOperators.LSHR, 8).and((short) 15).selectFrom(k), w7 = p1.lanewise(VectorOperators.LSHR, 12).selectFrom(k);
            IntVector b = (IntVector) ByteVector.fromMemorySegment(B16, w, p + 120, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            IntVector scales = b.rearrange(LOW_BYTE).lanewise(VectorOperators.LSHR, LOW_SHIFT).and(15)
                    .or(b.rearrange(TOP_BYTE).lanewise(VectorOperators.LSHR, TOP_SHIFT).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
            float dw = Float.float16ToFloat(w.get(HALF, p + 134));
            IntVector u01, u23, u45, u67;
            // the tokens written out: accumulators in an array, or vectors passed to a helper C2 may not inline, are boxed
            // token 0
            u01 = w0.mul(ShortVector.fromArray(S32, xs, xi)).add(w1.mul(ShortVector.fromArray(S32, xs, xi + 32))).reinterpretAsInts();
            u23 = w2.mul(ShortVector.fromArray(S32, xs, xi + 64)).add(w3.mul(ShortVector.fromArray(S32, xs, xi + 96))).reinterpretAsInts();
            u45 = w4.mul(ShortVector.fromArray(S32, xs, xi + 128)).add(w5.mul(ShortVector.fromArray(S32, xs, xi + 160))).reinterpretAsInts();
            u67 = w6.mul(ShortVector.fromArray(S32, xs, xi + 192)).add(w7.mul(ShortVector.fromArray(S32, xs, xi + 224))).reinterpretAsInts();
            acc0 = ((FloatVector) u01.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u01.lanewise(VectorOperators.ASHR, 16))
                    .add(u23.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u23.lanewise(VectorOperators.ASHR, 16)))
                    .add(u45.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u45.lanewise(VectorOperators.ASHR, 16)))
                    .add(u67.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u67.lanewise(VectorOperators.ASHR, 16)))
                    .mul(scales).convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, dw * xd[di]), acc0);
            // token 1
            u01 = w0.mul(ShortVector.fromArray(S32, xs, xi + ts)).add(w1.mul(ShortVector.fromArray(S32, xs, xi + ts + 32))).reinterpretAsInts();
            u23 = w2.mul(ShortVector.fromArray(S32, xs, xi + ts + 64)).add(w3.mul(ShortVector.fromArray(S32, xs, xi + ts + 96))).reinterpretAsInts();
            u45 = w4.mul(ShortVector.fromArray(S32, xs, xi + ts + 128)).add(w5.mul(ShortVector.fromArray(S32, xs, xi + ts + 160))).reinterpretAsInts();
            u67 = w6.mul(ShortVector.fromArray(S32, xs, xi + ts + 192)).add(w7.mul(ShortVector.fromArray(S32, xs, xi + ts + 224))).reinterpretAsInts();
            acc1 = ((FloatVector) u01.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u01.lanewise(VectorOperators.ASHR, 16))
                    .add(u23.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u23.lanewise(VectorOperators.ASHR, 16)))
                    .add(u45.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u45.lanewise(VectorOperators.ASHR, 16)))
                    .add(u67.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u67.lanewise(VectorOperators.ASHR, 16)))
                    .mul(scales).convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, dw * xd[di + runs]), acc1);
            // token 2
            if (m > 2) {
                u01 = w0.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts)).add(w1.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 32))).reinterpretAsInts();
                u23 = w2.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 64)).add(w3.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 96))).reinterpretAsInts();
                u45 = w4.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 128)).add(w5.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 160))).reinterpretAsInts();
                u67 = w6.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 192)).add(w7.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 224))).reinterpretAsInts();
                acc2 = ((FloatVector) u01.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u01.lanewise(VectorOperators.ASHR, 16))
                        .add(u23.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u23.lanewise(VectorOperators.ASHR, 16)))
                        .add(u45.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u45.lanewise(VectorOperators.ASHR, 16)))
                        .add(u67.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u67.lanewise(VectorOperators.ASHR, 16)))
                        .mul(scales).convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, dw * xd[di + 2 * runs]), acc2);
            }
            // token 3
            if (m > 3) {
                u01 = w0.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts)).add(w1.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 32))).reinterpretAsInts();
                u23 = w2.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 64)).add(w3.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 96))).reinterpretAsInts();
                u45 = w4.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 128)).add(w5.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 160))).reinterpretAsInts();
                u67 = w6.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 192)).add(w7.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 224))).reinterpretAsInts();
                acc3 = ((FloatVector) u01.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u01.lanewise(VectorOperators.ASHR, 16))
                        .add(u23.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u23.lanewise(VectorOperators.ASHR, 16)))
                        .add(u45.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u45.lanewise(VectorOperators.ASHR, 16)))
                        .add(u67.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u67.lanewise(VectorOperators.ASHR, 16)))
                        .mul(scales).convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, dw * xd[di + 3 * runs]), acc3);
            }
        }
        y[yo] = acc0.reduceLanes(VectorOperators.ADD);
        y[yo + ys] = acc1.reduceLanes(VectorOperators.ADD);
        if (m > 2) y[yo + 2 * ys] = acc2.reduceLanes(VectorOperators.ADD);
        if (m > 3) y[yo + 3 * ys] = acc3.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Decodes {@code runs} packed super-blocks into {@code out[o ..]}, each run transposed: nibble {@code j} of int lane
     * {@code i} of vector {@code p} is value {@code 16i + 8p + 2(j mod 4) + j div 4} (as in {@link Q4KPacked#decode}),
     * looked up in the levels with a 16-lane int permute.
     */
    static void decode(MemorySegment w, long off, int runs, float[] out, int o) {
        IntVector k = LEVELS32;
        for (int s = 0; s < runs; s++) {
            long p = off + (long) BYTES * s;
            int base = o + 256 * s;
            IntVector u0 = IntVector.fromMemorySegment(I16, w, p, LE), u1 = IntVector.fromMemorySegment(I16, w, p + 64, LE);
            IntVector b = (IntVector) ByteVector.fromMemorySegment(B16, w, p + 120, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            FloatVector scale = ((FloatVector) RunLayout.sixBitScales(b, LOW_BYTE, LOW_SHIFT, TOP_BYTE, TOP_SHIFT).convertShape(VectorOperators.I2F, F16, 0)).mul(Float.float16ToFloat(w.get(HALF, p + 134)));
            for (int j = 0; j < 8; j++) {
                int at = 16 * (2 * (j % 4) + j / 4);
                ((FloatVector) u0.lanewise(VectorOperators.LSHR, 4 * j).and(15).selectFrom(k).convertShape(VectorOperators.I2F, F16, 0)).mul(scale).intoArray(out, base + at);
                ((FloatVector) u1.lanewise(VectorOperators.LSHR, 4 * j).and(15).selectFrom(k).convertShape(VectorOperators.I2F, F16, 0)).mul(scale).intoArray(out, base + 128 + at);
            }
        }
    }
}
