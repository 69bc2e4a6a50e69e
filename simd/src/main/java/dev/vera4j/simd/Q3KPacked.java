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
 * One-token products of Q3_K rows, packed as a plane of 2-bit pairs and a plane of high bits in {@link KOrder}. GGUF
 * Q3_K: 32 bytes of high bits, 64 bytes of low bit pairs, 12 bytes of sixteen 6-bit scales, fp16 {@code d}; value
 * {@code = d·(sc[j] − 32)·(q − 4)} for sub-block {@code j} of 16 values, with {@code q = low2 + 4·high} (a set high
 * bit means no −4). Packed, per super-block:
 * <pre>
 *   bytes   0 ..  63   the low bit pairs: bits 2t, 2t+1 of short l for KOrder position (t, l)
 *   bytes  64 ..  95   the high bits: bit t of byte l
 *   bytes  96 .. 109   the scales and d, unchanged
 * </pre>
 * The eight products of a lane (q ≤ 7) add up as shorts, adjacent lanes as ints: one int per sub-block, from which
 * {@code 4·Σx} ({@link Int8Activations#kbsum}) is taken before the signed scale multiplies it.
 */
final class Q3KPacked {
    private Q3KPacked() {}

    static final int BYTES = 110;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128, B32 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> S32 = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    /**
     * From the 16 bytes at 94 (two of the high bits, the 12 scale bytes, d), per int lane {@code j}: the byte with
     * scale {@code j}'s low four bits ({@code 96 + j mod 8}, nibble {@code j / 8}) and the one with its top two
     * ({@code 104 + j mod 4}, bits {@code 2(j / 4)}).
     */
    private static final VectorShuffle<Integer> LOW_BYTE = VectorShuffle.fromOp(I16, j -> 2 + j % 8), TOP_BYTE = VectorShuffle.fromOp(I16, j -> 10 + j % 4);
    private static final IntVector LOW_SHIFT = IntVector.fromArray(I16, java.util.stream.IntStream.range(0, 16).map(j -> 4 * (j / 8)).toArray(), 0);
    private static final IntVector TOP_SHIFT = IntVector.fromArray(I16, java.util.stream.IntStream.range(0, 16).map(j -> 2 * (j / 4)).toArray(), 0);

    static final RunLayout LAYOUT = new Layout();

    /** Fields: the 256 quants {@code low2 + 4·high} (0..7), the 16 scales (0..63) and the 2 bytes of d. */
    private static final class Layout extends RunLayout {
        Layout() { super(GgmlType.Q3_K, Tuning.RUN_INT8_MAX_TOKENS); }

        @Override
        int fieldCount() { return 256 + 16 + 2; }

        @Override
        void readGguf(byte[] r, int[] f) {
            for (int v = 0; v < 256; v++) f[v] = bits(r, 32 + 32 * (v / 128) + v % 32, 2 * (v % 128 / 32), 2) | bits(r, v % 32, v / 32, 1) << 2;
            readScales(r, f);
        }

        @Override
        void writeGguf(int[] f, byte[] r) {
            for (int v = 0; v < 256; v++) {
                put(r, 32 + 32 * (v / 128) + v % 32, 2 * (v % 128 / 32), 2, f[v]);
                put(r, v % 32, v / 32, 1, f[v] >> 2);
            }
            writeScales(f, r);
        }

        @Override
        void readPacked(byte[] r, int[] f) {
            for (int pos = 0; pos < 256; pos++) {
                f[KOrder.SOURCE[pos]] = bits(r, pairByte(pos), pairShift(pos), 2) | bits(r, 64 + bitByte(pos), bitShift(pos), 1) << 2;
            }
            readScales(r, f);
        }

        @Override
        void writePacked(int[] f, byte[] r) {
            for (int pos = 0; pos < 256; pos++) {
                int q = f[KOrder.SOURCE[pos]];
                put(r, pairByte(pos), pairShift(pos), 2, q);
                put(r, 64 + bitByte(pos), bitShift(pos), 1, q >> 2);
            }
            writeScales(f, r);
        }

        /** The scales and d, at the same offsets in both layouts: scale j's low four bits in nibble j / 8 of byte 96 + j mod 8, its top two in bits 2(j / 4) of byte 104 + j mod 4. */
        private static void readScales(byte[] r, int[] f) {
            for (int j = 0; j < 16; j++) f[256 + j] = bits(r, 96 + j % 8, 4 * (j / 8), 4) | bits(r, 104 + j % 4, 2 * (j / 4), 2) << 4;
            f[272] = r[108] & 0xff;
            f[273] = r[109] & 0xff;
        }

        private static void writeScales(int[] f, byte[] r) {
            for (int j = 0; j < 16; j++) {
                put(r, 96 + j % 8, 4 * (j / 8), 4, f[256 + j]);
                put(r, 104 + j % 4, 2 * (j / 4), 2, f[256 + j] >> 4);
            }
            r[108] = (byte) f[272];
            r[109] = (byte) f[273];
        }

        @Override
        void decodeRuns(MemorySegment packed, long off, int runs, float[] out, int o) { decode(packed, off, runs, out, o); }

        @Override
        float dot(MemorySegment packed, long off, Int8Activations a, int ro, int runs) { return Q3KPacked.dot(packed, off, a, ro, runs); }

        @Override
        void dots(MemorySegment packed, long off, Int8Activations a, int ro, int runs, int m, float[] y, int yo, int ys) {
            Q3KPacked.dots(packed, off, a, ro, runs, m, y, yo, ys);
        }

        /** {@code d·Σ_j (sc[j] − 32)·Σ (q − 4)·x}. */
        @Override
        double runDot(int[] f, int[] x, boolean magnitude) {
            long isum = 0;
            for (int v = 0; v < 256; v++) {
                long t = (long) (f[256 + v / 16] - 32) * (f[v] - 4) * x[v];
                isum += magnitude ? Math.abs(t) : t;
            }
            double d = RunLayout.half(f, 272);
            return (magnitude ? Math.abs(d) : d) * isum;
        }
    }

    static float dot(MemorySegment w, long off, Int8Activations a, int ro, int runs) {
        short[] xs = a.k;
        float[] xd = a.kd;
        int[] bsum = a.kbsum;
        FloatVector acc = FloatVector.zero(F16);
        for (int s = 0; s < runs; s++) {
            long p = off + (long) BYTES * s;
            int xi = 256 * (ro + s);
            ShortVector q = ShortVector.fromMemorySegment(S32, w, p, LE);
            ShortVector h = (ShortVector) ByteVector.fromMemorySegment(B32, w, p + 64, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S32, 0);
            // KOrder vector t: bits 2t, 2t+1 of q, plus bit t of h moved to bit 2
            ShortVector prod = q.and((short) 3).or(h.lanewise(VectorOperators.LSHL, 2).and((short) 4)).mul(ShortVector.fromArray(S32, xs, xi))
                    .add(q.lanewise(VectorOperators.LSHR, 2).and((short) 3).or(h.lanewise(VectorOperators.LSHL, 1).and((short) 4)).mul(ShortVector.fromArray(S32, xs, xi + 32)))
                    .add(q.lanewise(VectorOperators.LSHR, 4).and((short) 3).or(h.and((short) 4)).mul(ShortVector.fromArray(S32, xs, xi + 64)))
                    .add(q.lanewise(VectorOperators.LSHR, 6).and((short) 3).or(h.lanewise(VectorOperators.LSHR, 1).and((short) 4)).mul(ShortVector.fromArray(S32, xs, xi + 96)))
                    .add(q.lanewise(VectorOperators.LSHR, 8).and((short) 3).or(h.lanewise(VectorOperators.LSHR, 2).and((short) 4)).mul(ShortVector.fromArray(S32, xs, xi + 128)))
                    .add(q.lanewise(VectorOperators.LSHR, 10).and((short) 3).or(h.lanewise(VectorOperators.LSHR, 3).and((short) 4)).mul(ShortVector.fromArray(S32, xs, xi + 160)))
                    .add(q.lanewise(VectorOperators.LSHR, 12).and((short) 3).or(h.lanewise(VectorOperators.LSHR, 4).and((short) 4)).mul(ShortVector.fromArray(S32, xs, xi + 192)))
                    .add(q.lanewise(VectorOperators.LSHR, 14).or(h.lanewise(VectorOperators.LSHR, 5).and((short) 4)).mul(ShortVector.fromArray(S32, xs, xi + 224)));
            IntVector u = prod.reinterpretAsInts();
            IntVector sums = u.add(u.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16)
                    .sub(IntVector.fromArray(I16, bsum, 16 * (ro + s)).lanewise(VectorOperators.LSHL, 2));
            IntVector b = (IntVector) ByteVector.fromMemorySegment(B16, w, p + 94, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            IntVector scales = b.rearrange(LOW_BYTE).lanewise(VectorOperators.LSHR, LOW_SHIFT).and(15)
                    .or(b.rearrange(TOP_BYTE).lanewise(VectorOperators.LSHR, TOP_SHIFT).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
            float d = Float.float16ToFloat(w.get(HALF, p + 108)) * xd[ro + s];
            acc = ((FloatVector) sums.mul(scales).convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, d), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * {@link #dot} for {@code m} tokens, 2 to 4 (token {@code t}'s runs from {@code ro + t·runs}, its sum at
     * {@code y[yo + t·ys]}): each super-block's three-bit quants and scales are unpacked once for them all. The same
     * operations per token.
     */
    static void dots(MemorySegment w, long off, Int8Activations a, int ro, int runs, int m, float[] y, int yo, int ys) {
        short[] xs = a.k;
        float[] xd = a.kd;
        int[] bsum = a.kbsum;
        int ts = 256 * runs;
        FloatVector acc0 = FloatVector.zero(F16), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (int s = 0; s < runs; s++) {
            long p = off + (long) BYTES * s;
            int xi = 256 * (ro + s), di = ro + s;
            ShortVector q = ShortVector.fromMemorySegment(S32, w, p, LE);
            ShortVector h = (ShortVector) ByteVector.fromMemorySegment(B32, w, p + 64, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S32, 0);
            ShortVector w0 = q.and((short) 3).or(h.lanewise(VectorOperators.LSHL, 2).and((short) 4));
            ShortVector w1 = q.lanewise(VectorOperators.LSHR, 2).and((short) 3).or(h.lanewise(VectorOperators.LSHL, 1).and((short) 4));
            ShortVector w2 = q.lanewise(VectorOperators.LSHR, 4).and((short) 3).or(h.and((short) 4));
            ShortVector w3 = q.lanewise(VectorOperators.LSHR, 6).and((short) 3).or(h.lanewise(VectorOperators.LSHR, 1).and((short) 4));
            ShortVector w4 = q.lanewise(VectorOperators.LSHR, 8).and((short) 3).or(h.lanewise(VectorOperators.LSHR, 2).and((short) 4));
            ShortVector w5 = q.lanewise(VectorOperators.LSHR, 10).and((short) 3).or(h.lanewise(VectorOperators.LSHR, 3).and((short) 4));
            ShortVector w6 = q.lanewise(VectorOperators.LSHR, 12).and((short) 3).or(h.lanewise(VectorOperators.LSHR, 4).and((short) 4));
            ShortVector w7 = q.lanewise(VectorOperators.LSHR, 14).or(h.lanewise(VectorOperators.LSHR, 5).and((short) 4));
            IntVector b = (IntVector) ByteVector.fromMemorySegment(B16, w, p + 94, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            IntVector scales = b.rearrange(LOW_BYTE).lanewise(VectorOperators.LSHR, LOW_SHIFT).and(15)
                    .or(b.rearrange(TOP_BYTE).lanewise(VectorOperators.LSHR, TOP_SHIFT).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
            float dw = Float.float16ToFloat(w.get(HALF, p + 108));
            IntVector u;
            // the tokens written out: accumulators in an array, or vectors passed to a helper C2 may not inline, are boxed
            // token 0
            u = w0.mul(ShortVector.fromArray(S32, xs, xi)).add(w1.mul(ShortVector.fromArray(S32, xs, xi + 32)))
                    .add(w2.mul(ShortVector.fromArray(S32, xs, xi + 64))).add(w3.mul(ShortVector.fromArray(S32, xs, xi + 96)))
                    .add(w4.mul(ShortVector.fromArray(S32, xs, xi + 128))).add(w5.mul(ShortVector.fromArray(S32, xs, xi + 160)))
                    .add(w6.mul(ShortVector.fromArray(S32, xs, xi + 192))).add(w7.mul(ShortVector.fromArray(S32, xs, xi + 224))).reinterpretAsInts();
            acc0 = ((FloatVector) u.add(u.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16)
                    .sub(IntVector.fromArray(I16, bsum, 16 * di).lanewise(VectorOperators.LSHL, 2)).mul(scales)
                    .convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, dw * xd[di]), acc0);
            // token 1
            u = w0.mul(ShortVector.fromArray(S32, xs, xi + ts)).add(w1.mul(ShortVector.fromArray(S32, xs, xi + ts + 32)))
                    .add(w2.mul(ShortVector.fromArray(S32, xs, xi + ts + 64))).add(w3.mul(ShortVector.fromArray(S32, xs, xi + ts + 96)))
                    .add(w4.mul(ShortVector.fromArray(S32, xs, xi + ts + 128))).add(w5.mul(ShortVector.fromArray(S32, xs, xi + ts + 160)))
                    .add(w6.mul(ShortVector.fromArray(S32, xs, xi + ts + 192))).add(w7.mul(ShortVector.fromArray(S32, xs, xi + ts + 224))).reinterpretAsInts();
            acc1 = ((FloatVector) u.add(u.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16)
                    .sub(IntVector.fromArray(I16, bsum, 16 * (di + runs)).lanewise(VectorOperators.LSHL, 2)).mul(scales)
                    .convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, dw * xd[di + runs]), acc1);
            // token 2
            if (m > 2) {
                u = w0.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts)).add(w1.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 32)))
                        .add(w2.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 64))).add(w3.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 96)))
                        .add(w4.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 128))).add(w5.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 160)))
                        .add(w6.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 192))).add(w7.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 224))).reinterpretAsInts();
                acc2 = ((FloatVector) u.add(u.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16)
                        .sub(IntVector.fromArray(I16, bsum, 16 * (di + 2 * runs)).lanewise(VectorOperators.LSHL, 2)).mul(scales)
                        .convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, dw * xd[di + 2 * runs]), acc2);
            }
            // token 3
            if (m > 3) {
                u = w0.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts)).add(w1.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 32)))
                        .add(w2.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 64))).add(w3.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 96)))
                        .add(w4.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 128))).add(w5.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 160)))
                        .add(w6.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 192))).add(w7.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 224))).reinterpretAsInts();
                acc3 = ((FloatVector) u.add(u.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16)
                        .sub(IntVector.fromArray(I16, bsum, 16 * (di + 3 * runs)).lanewise(VectorOperators.LSHL, 2)).mul(scales)
                        .convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, dw * xd[di + 3 * runs]), acc3);
            }
        }
        y[yo] = acc0.reduceLanes(VectorOperators.ADD);
        y[yo + ys] = acc1.reduceLanes(VectorOperators.ADD);
        if (m > 2) y[yo + 2 * ys] = acc2.reduceLanes(VectorOperators.ADD);
        if (m > 3) y[yo + 3 * ys] = acc3.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Decodes {@code runs} packed super-blocks into {@code out[o ..]}, each run transposed: with the pairs seen as 16
     * ints, pair {@code j} of int lane {@code i} (bits {@code 2j}) is KOrder position {@code (j mod 8, 2i + j div 8)},
     * value {@code 16i + 2(j mod 8) + j div 8}; its high bit is bit {@code j} of int lane {@code i} of the high bits
     * seen as shorts widened to ints.
     */
    static void decode(MemorySegment w, long off, int runs, float[] out, int o) {
        for (int s = 0; s < runs; s++) {
            long p = off + (long) BYTES * s;
            int base = o + 256 * s;
            IntVector q = IntVector.fromMemorySegment(I16, w, p, LE);
            IntVector h = (IntVector) ShortVector.fromMemorySegment(ShortVector.SPECIES_256, w, p + 64, LE).convertShape(VectorOperators.ZERO_EXTEND_S2I, I16, 0);
            IntVector b = (IntVector) ByteVector.fromMemorySegment(B16, w, p + 94, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            FloatVector scale = ((FloatVector) RunLayout.sixBitScales(b, LOW_BYTE, LOW_SHIFT, TOP_BYTE, TOP_SHIFT).convertShape(VectorOperators.I2F, F16, 0)).mul(Float.float16ToFloat(w.get(HALF, p + 108)));
            for (int j = 0; j < 16; j++) {
                IntVector v = q.lanewise(VectorOperators.LSHR, 2 * j).and(3).or(h.lanewise(VectorOperators.LSHR, j).and(1).lanewise(VectorOperators.LSHL, 2)).sub(4);
                ((FloatVector) v.convertShape(VectorOperators.I2F, F16, 0)).mul(scale).intoArray(out, base + 16 * (2 * (j % 8) + j / 8));
            }
        }
    }
}
