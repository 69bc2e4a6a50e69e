package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.vera4j.simd.RunLayout.bits;
import static dev.vera4j.simd.RunLayout.put;
import static dev.vera4j.simd.Vec.LE;

/**
 * One-token products of Q5_K rows, packed as {@link Q4KPacked} plus a plane of fifth bits. GGUF Q5_K: fp16 {@code d},
 * fp16 {@code dmin}, 12 bytes of 6-bit scales and mins, 32 bytes of fifth bits, 128 bytes of low nibbles; value
 * {@code = d·sc[J]·q − dmin·m[J]} with the 5-bit quant {@code q} of sub-block {@code J} of 32 values. Packed, per
 * super-block:
 * <pre>
 *   bytes   0 .. 127   the low nibbles in KOrder ({@link RunLayout#nibbleByte})
 *   bytes 128 .. 159   the fifth bits: bit t of byte l for KOrder position (t, l)
 *   bytes 160 .. 171   scales and mins as {@link Q4KPacked} packs them
 *   bytes 172 .. 175   d, dmin
 * </pre>
 * The fifth bits widen to 32 short lanes once per super-block; a shift and a mask move bit {@code t} to bit 4 of the
 * lane for KOrder vector {@code t}. The eight products of a lane add up to at most 8·31·127 as shorts; adjacent lanes
 * are added into ints sign-extended (their sum may exceed a short).
 */
final class Q5KPacked {
    private Q5KPacked() {}

    static final int BYTES = 176;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128, B32 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> S32 = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);

    private static final jdk.incubator.vector.VectorShuffle<Byte> REPEAT32 = jdk.incubator.vector.VectorShuffle.fromOp(QuantPerm.B64, j -> j % 32),
            HIGH_HALF = jdk.incubator.vector.VectorShuffle.fromOp(QuantPerm.B64, j -> (j + 32) % 64);
    private static final jdk.incubator.vector.VectorMask<Byte> UPPER = jdk.incubator.vector.VectorMask.fromLong(QuantPerm.B64, 0xffffffff00000000L),
            LOW_HALF = UPPER.not();
    /** Vector u of the bit plane: lanes 0..31 KOrder vector 2u, lanes 32..63 vector 2u + 1, from the quants in Q4_K's nibble order. */
    private static final QuantPerm[] BIT_PLANE = java.util.stream.IntStream.range(0, 4)
            .mapToObj(u -> QuantPerm.of(j -> KOrder.value(2 * u + j / 32, j % 32), Q4KPacked.NIBBLE_SOURCE)).toArray(QuantPerm[]::new);

    static final RunLayout LAYOUT = new Layout();

    /** Fields: the 256 quants (0..31), the 8 scales, the 8 mins and the 4 bytes of d and dmin. */
    private static final class Layout extends RunLayout {
        Layout() { super(GgmlType.Q5_K, Tuning.INT8_MAX_TOKENS); }

        @Override
        int fieldCount() { return 256 + 16 + 4; }

        @Override
        void readGguf(byte[] r, int[] f) {
            for (int v = 0; v < 256; v++) f[v] = bits(r, 48 + 32 * (v / 64) + v % 32, 4 * (v / 32 % 2), 4) | bits(r, 16 + v % 32, v / 32, 1) << 4;
            Q4KPacked.readGgufScales(r, 4, f);
            for (int i = 0; i < 4; i++) f[272 + i] = r[i] & 0xff;
        }

        @Override
        void writeGguf(int[] f, byte[] r) {
            for (int v = 0; v < 256; v++) {
                put(r, 48 + 32 * (v / 64) + v % 32, 4 * (v / 32 % 2), 4, f[v]);
                put(r, 16 + v % 32, v / 32, 1, f[v] >> 4);
            }
            Q4KPacked.writeGgufScales(f, r, 4);
            for (int i = 0; i < 4; i++) r[i] = (byte) f[272 + i];
        }

        @Override
        void readPacked(byte[] r, int[] f) {
            for (int pos = 0; pos < 256; pos++) {
                f[KOrder.SOURCE[pos]] = bits(r, nibbleByte(pos), nibbleShift(pos), 4) | bits(r, 128 + bitByte(pos), bitShift(pos), 1) << 4;
            }
            Q4KPacked.readPackedScales(r, 160, f);
            for (int i = 0; i < 4; i++) f[272 + i] = r[172 + i] & 0xff;
        }

        @Override
        void writePacked(int[] f, byte[] r) {
            for (int pos = 0; pos < 256; pos++) {
                int q = f[KOrder.SOURCE[pos]];
                put(r, nibbleByte(pos), nibbleShift(pos), 4, q);
                put(r, 128 + bitByte(pos), bitShift(pos), 1, q >> 4);
            }
            Q4KPacked.writePackedScales(f, r, 160);
            for (int i = 0; i < 4; i++) r[172 + i] = (byte) f[272 + i];
        }

        @Override
        boolean hasVectorPacking() { return true; }

        /** The low nibbles as Q4_K's; the fifth bits permuted to KOrder in four vectors of two KOrder vectors each. */
        @Override
        void packQuants(MemorySegment src, long s, MemorySegment dst, long d) {
            Q4KPacked.packNibbles(src, s + 48, dst, d);
            // the fifth bit of source lane j of vector c: bit 4(c / 2) + 2(j / 32) + c mod 2 of qh byte j mod 32
            ByteVector qh = ByteVector.fromMemorySegment(QuantPerm.B64, src, s + 16, LE).rearrange(REPEAT32);
            ByteVector s0 = qh.lanewise(VectorOperators.LSHR, 0).blend(qh.lanewise(VectorOperators.LSHR, 2), UPPER).and((byte) 1);
            ByteVector s1 = qh.lanewise(VectorOperators.LSHR, 1).blend(qh.lanewise(VectorOperators.LSHR, 3), UPPER).and((byte) 1);
            ByteVector s2 = qh.lanewise(VectorOperators.LSHR, 4).blend(qh.lanewise(VectorOperators.LSHR, 6), UPPER).and((byte) 1);
            ByteVector s3 = qh.lanewise(VectorOperators.LSHR, 5).blend(qh.lanewise(VectorOperators.LSHR, 7), UPPER).and((byte) 1);
            // vector u: KOrder vector 2u in lanes 0..31, 2u + 1 in lanes 32..63; bit t of byte l is (t, l)
            ByteVector x = ByteVector.zero(QuantPerm.B64);
            for (int u = 0; u < 4; u++) {
                QuantPerm p = BIT_PLANE[u];
                x = x.or(p.index().selectFrom(s0, s1).blend(p.index().selectFrom(s2, s3), p.upper()).lanewise(VectorOperators.LSHL, 2 * u));
            }
            x.or(x.rearrange(HIGH_HALF).lanewise(VectorOperators.LSHL, 1)).intoMemorySegment(dst, d + 128, LE, LOW_HALF);
        }

        @Override
        void decodeRuns(MemorySegment packed, long off, int runs, float[] out, int o) { decode(packed, off, runs, out, o); }

        @Override
        float dot(MemorySegment packed, long off, Int8Activations a, int ro, int runs) { return Q5KPacked.dot(packed, off, a, ro, runs); }

        @Override
        void dots(MemorySegment packed, long off, Int8Activations a, int ro, int runs, int m, float[] y, int yo, int ys) {
            Q5KPacked.dots(packed, off, a, ro, runs, m, y, yo, ys);
        }


        @Override
        double runDot(int[] f, int[] x, boolean magnitude) { return Q4KPacked.minRunDot(f, x, magnitude); }
    }

    static float dot(MemorySegment w, long off, Int8Activations a, int ro, int runs) {
        short[] xs = a.k;
        float[] xd = a.kd;
        int[] bsum = a.kbsum;
        FloatVector acc = FloatVector.zero(F16);
        for (int s = 0; s < runs; s++) {
            long p = off + (long) BYTES * s;
            int xi = 256 * (ro + s);
            ShortVector p0 = ShortVector.fromMemorySegment(S32, w, p, LE), p1 = ShortVector.fromMemorySegment(S32, w, p + 64, LE);
            ShortVector h = (ShortVector) ByteVector.fromMemorySegment(B32, w, p + 128, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S32, 0);
            // KOrder vector t: nibble t mod 4 of p0/p1, plus bit t of h moved to bit 4
            ShortVector prod = p0.and((short) 15).or(h.lanewise(VectorOperators.LSHL, 4).and((short) 16)).mul(ShortVector.fromArray(S32, xs, xi))
                    .add(p0.lanewise(VectorOperators.LSHR, 4).and((short) 15).or(h.lanewise(VectorOperators.LSHL, 3).and((short) 16)).mul(ShortVector.fromArray(S32, xs, xi + 32)))
                    .add(p0.lanewise(VectorOperators.LSHR, 8).and((short) 15).or(h.lanewise(VectorOperators.LSHL, 2).and((short) 16)).mul(ShortVector.fromArray(S32, xs, xi + 64)))
                    .add(p0.lanewise(VectorOperators.LSHR, 12).or(h.lanewise(VectorOperators.LSHL, 1).and((short) 16)).mul(ShortVector.fromArray(S32, xs, xi + 96)))
                    .add(p1.and((short) 15).or(h.and((short) 16)).mul(ShortVector.fromArray(S32, xs, xi + 128)))
                    .add(p1.lanewise(VectorOperators.LSHR, 4).and((short) 15).or(h.lanewise(VectorOperators.LSHR, 1).and((short) 16)).mul(ShortVector.fromArray(S32, xs, xi + 160)))
                    .add(p1.lanewise(VectorOperators.LSHR, 8).and((short) 15).or(h.lanewise(VectorOperators.LSHR, 2).and((short) 16)).mul(ShortVector.fromArray(S32, xs, xi + 192)))
                    .add(p1.lanewise(VectorOperators.LSHR, 12).or(h.lanewise(VectorOperators.LSHR, 3).and((short) 16)).mul(ShortVector.fromArray(S32, xs, xi + 224)));
            IntVector u = prod.reinterpretAsInts();
            IntVector sums = u.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u.lanewise(VectorOperators.ASHR, 16));
            IntVector bytes = (IntVector) ByteVector.fromMemorySegment(B16, w, p + 160, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            IntVector sb = bytes.rearrange(Q4KPacked.SCALE_BYTE);
            IntVector scales = sb.and(63);
            IntVector mins = sb.lanewise(VectorOperators.LSHR, 2).and(0x30).or(bytes.rearrange(Q4KPacked.MIN_BYTE).lanewise(VectorOperators.LSHR, Q4KPacked.MIN_SHIFT).and(15));
            float dx = xd[ro + s];
            float d = Float.float16ToFloat(w.get(HALF, p + 172)) * dx, dmin = Float.float16ToFloat(w.get(HALF, p + 174)) * dx;
            acc = ((FloatVector) sums.mul(scales).convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, d), acc);
            acc = ((FloatVector) IntVector.fromArray(I16, bsum, 16 * (ro + s)).mul(mins).convertShape(VectorOperators.I2F, F16, 0))
                    .fma(FloatVector.broadcast(F16, -dmin), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * {@link #dot} for {@code m} tokens, 2 to 4 (token {@code t}'s runs from {@code ro + t·runs}, its sum at
     * {@code y[yo + t·ys]}): each super-block's five-bit quants, scales and mins are unpacked once for them all. The
     * same operations per token.
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
            ShortVector p0 = ShortVector.fromMemorySegment(S32, w, p, LE), p1 = ShortVector.fromMemorySegment(S32, w, p + 64, LE);
            ShortVector h = (ShortVector) ByteVector.fromMemorySegment(B32, w, p + 128, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S32, 0);
            ShortVector w0 = p0.and((short) 15).or(h.lanewise(VectorOperators.LSHL, 4).and((short) 16));
            ShortVector w1 = p0.lanewise(VectorOperators.LSHR, 4).and((short) 15).or(h.lanewise(VectorOperators.LSHL, 3).and((short) 16));
            ShortVector w2 = p0.lanewise(VectorOperators.LSHR, 8).and((short) 15).or(h.lanewise(VectorOperators.LSHL, 2).and((short) 16));
            ShortVector w3 = p0.lanewise(VectorOperators.LSHR, 12).or(h.lanewise(VectorOperators.LSHL, 1).and((short) 16));
            ShortVector w4 = p1.and((short) 15).or(h.and((short) 16));
            ShortVector w5 = p1.lanewise(VectorOperators.LSHR, 4).and((short) 15).or(h.lanewise(VectorOperators.LSHR, 1).and((short) 16));
            ShortVector w6 = p1.lanewise(VectorOperators.LSHR, 8).and((short) 15).or(h.lanewise(VectorOperators.LSHR, 2).and((short) 16));
            ShortVector w7 = p1.lanewise(VectorOperators.LSHR, 12).or(h.lanewise(VectorOperators.LSHR, 3).and((short) 16));
            IntVector bytes = (IntVector) ByteVector.fromMemorySegment(B16, w, p + 160, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            IntVector sb = bytes.rearrange(Q4KPacked.SCALE_BYTE);
            IntVector scales = sb.and(63);
            IntVector mins = sb.lanewise(VectorOperators.LSHR, 2).and(0x30).or(bytes.rearrange(Q4KPacked.MIN_BYTE).lanewise(VectorOperators.LSHR, Q4KPacked.MIN_SHIFT).and(15));
            float dw = Float.float16ToFloat(w.get(HALF, p + 172)), dmin = Float.float16ToFloat(w.get(HALF, p + 174));
            IntVector u;
            float dx;
            // the tokens written out: accumulators in an array, or vectors passed to a helper C2 may not inline, are boxed
            // token 0
            u = w0.mul(ShortVector.fromArray(S32, xs, xi)).add(w1.mul(ShortVector.fromArray(S32, xs, xi + 32)))
                    .add(w2.mul(ShortVector.fromArray(S32, xs, xi + 64))).add(w3.mul(ShortVector.fromArray(S32, xs, xi + 96)))
                    .add(w4.mul(ShortVector.fromArray(S32, xs, xi + 128))).add(w5.mul(ShortVector.fromArray(S32, xs, xi + 160)))
                    .add(w6.mul(ShortVector.fromArray(S32, xs, xi + 192))).add(w7.mul(ShortVector.fromArray(S32, xs, xi + 224))).reinterpretAsInts();
            dx = xd[di];
            acc0 = ((FloatVector) u.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u.lanewise(VectorOperators.ASHR, 16))
                    .mul(scales).convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, dw * dx), acc0);
            acc0 = ((FloatVector) IntVector.fromArray(I16, bsum, 16 * di).mul(mins).convertShape(VectorOperators.I2F, F16, 0))
                    .fma(FloatVector.broadcast(F16, -(dmin * dx)), acc0);
            // token 1
            u = w0.mul(ShortVector.fromArray(S32, xs, xi + ts)).add(w1.mul(ShortVector.fromArray(S32, xs, xi + ts + 32)))
                    .add(w2.mul(ShortVector.fromArray(S32, xs, xi + ts + 64))).add(w3.mul(ShortVector.fromArray(S32, xs, xi + ts + 96)))
                    .add(w4.mul(ShortVector.fromArray(S32, xs, xi + ts + 128))).add(w5.mul(ShortVector.fromArray(S32, xs, xi + ts + 160)))
                    .add(w6.mul(ShortVector.fromArray(S32, xs, xi + ts + 192))).add(w7.mul(ShortVector.fromArray(S32, xs, xi + ts + 224))).reinterpretAsInts();
            dx = xd[di + runs];
            acc1 = ((FloatVector) u.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u.lanewise(VectorOperators.ASHR, 16))
                    .mul(scales).convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, dw * dx), acc1);
            acc1 = ((FloatVector) IntVector.fromArray(I16, bsum, 16 * (di + runs)).mul(mins).convertShape(VectorOperators.I2F, F16, 0))
                    .fma(FloatVector.broadcast(F16, -(dmin * dx)), acc1);
            // token 2
            if (m > 2) {
                u = w0.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts)).add(w1.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 32)))
                        .add(w2.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 64))).add(w3.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 96)))
                        .add(w4.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 128))).add(w5.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 160)))
                        .add(w6.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 192))).add(w7.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 224))).reinterpretAsInts();
                dx = xd[di + 2 * runs];
                acc2 = ((FloatVector) u.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u.lanewise(VectorOperators.ASHR, 16))
                        .mul(scales).convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, dw * dx), acc2);
                acc2 = ((FloatVector) IntVector.fromArray(I16, bsum, 16 * (di + 2 * runs)).mul(mins).convertShape(VectorOperators.I2F, F16, 0))
                        .fma(FloatVector.broadcast(F16, -(dmin * dx)), acc2);
            }
            // token 3
            if (m > 3) {
                u = w0.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts)).add(w1.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 32)))
                        .add(w2.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 64))).add(w3.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 96)))
                        .add(w4.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 128))).add(w5.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 160)))
                        .add(w6.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 192))).add(w7.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 224))).reinterpretAsInts();
                dx = xd[di + 3 * runs];
                acc3 = ((FloatVector) u.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u.lanewise(VectorOperators.ASHR, 16))
                        .mul(scales).convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, dw * dx), acc3);
                acc3 = ((FloatVector) IntVector.fromArray(I16, bsum, 16 * (di + 3 * runs)).mul(mins).convertShape(VectorOperators.I2F, F16, 0))
                        .fma(FloatVector.broadcast(F16, -(dmin * dx)), acc3);
            }
        }
        y[yo] = acc0.reduceLanes(VectorOperators.ADD);
        y[yo + ys] = acc1.reduceLanes(VectorOperators.ADD);
        if (m > 2) y[yo + 2 * ys] = acc2.reduceLanes(VectorOperators.ADD);
        if (m > 3) y[yo + 3 * ys] = acc3.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Decodes {@code runs} packed super-blocks into {@code out[o ..]}, each run transposed: as {@link Q4KPacked#decode},
     * with the fifth bits seen as 16 ints, int lane {@code i} holding bytes {@code 2i} and {@code 2i + 1}: the value of
     * nibble {@code j} of vector {@code p} takes bit {@code 8(j div 4) + 4p + j mod 4} of it.
     */
    static void decode(MemorySegment w, long off, int runs, float[] out, int o) {
        for (int s = 0; s < runs; s++) {
            long p = off + (long) BYTES * s;
            int base = o + 256 * s;
            IntVector h = (IntVector) ShortVector.fromMemorySegment(ShortVector.SPECIES_256, w, p + 128, LE).convertShape(VectorOperators.ZERO_EXTEND_S2I, I16, 0);
            IntVector bytes = (IntVector) ByteVector.fromMemorySegment(B16, w, p + 160, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            IntVector sb = bytes.rearrange(Q4KPacked.SCALE_BYTE);
            IntVector mins = sb.lanewise(VectorOperators.LSHR, 2).and(0x30).or(bytes.rearrange(Q4KPacked.MIN_BYTE).lanewise(VectorOperators.LSHR, Q4KPacked.MIN_SHIFT).and(15));
            FloatVector scale = ((FloatVector) sb.and(63).convertShape(VectorOperators.I2F, F16, 0)).mul(Float.float16ToFloat(w.get(HALF, p + 172)));
            FloatVector min = ((FloatVector) mins.convertShape(VectorOperators.I2F, F16, 0)).mul(-Float.float16ToFloat(w.get(HALF, p + 174)));
            for (int v = 0; v < 16; v++) {   // nibble j of vector q: value 16i + 8q + 2(j mod 4) + j div 4, fifth bit 8(j div 4) + 4q + j mod 4
                int q = v / 8, j = v % 8;
                IntVector n = IntVector.fromMemorySegment(I16, w, p + 64L * q, LE).lanewise(VectorOperators.LSHR, 4 * j).and(15)
                        .or(h.lanewise(VectorOperators.LSHR, 8 * (j / 4) + 4 * q + j % 4).and(1).lanewise(VectorOperators.LSHL, 4));
                ((FloatVector) n.convertShape(VectorOperators.I2F, F16, 0)).fma(scale, min).intoArray(out, base + 16 * (8 * q + 2 * (j % 4) + j / 4));
            }
        }
    }
}
