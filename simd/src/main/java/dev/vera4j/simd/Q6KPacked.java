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

import static dev.vera4j.simd.Vec.LE;

/**
 * One-token products of Q6_K rows, packed so that a super-block's 256 six-bit quants come out of three 64-byte loads
 * in {@link KOrder}. GGUF Q6_K: 128 bytes of low nibbles, 64 bytes of 2-bit high parts, 16 int8 sub-block scales, fp16
 * {@code d}; value {@code = d·sc[j]·(q − 32)} for sub-block {@code j} of 16 values. Packed, per super-block, with four
 * 64-byte quant vectors {@code Q_w} ({@code w = 0..3}) whose byte {@code b} is the quant at KOrder position
 * {@code (2w + b mod 2, b div 2)} (the even bytes of a vector seen as shorts are one KOrder vector, the odd bytes the
 * next):
 * <pre>
 *   bytes   0 .. 127   two vectors of low nibbles: byte b of vector p holds the low four bits of Q_2p's byte b in its
 *                      low nibble, of Q_2p+1's in its high nibble
 *   bytes 128 .. 191   the high parts: bits 2w, 2w+1 of byte b are the top two bits of Q_w's byte b
 *   bytes 192 .. 209   the 16 scales and d, unchanged
 * </pre>
 * The kernel builds the quant vectors with masks and shifts in short lanes (two quants a lane), takes the even and odd
 * bytes apart (a mask, a shift), subtracts 32 and multiplies them by {@link Int8Activations#k}; the eight products of a
 * lane are added as shorts (|sum| ≤ 8·32·127), adjacent lanes as ints, which leaves one int per sub-block; times the
 * sub-block scales and {@code d·d_x} it is accumulated in floats. Lanes are summed once per row. (Byte vectors, and
 * widening or reinterpreting between bytes and shorts, were sometimes left to the Vector API's Java fallbacks by C2 —
 * an allocation per call — once many kernels shared a JVM; the kernel keeps to short and int lanes.)
 */
final class Q6KPacked {
    private Q6KPacked() {}

    static final int BYTES = 210;
    private static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_512, B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S32 = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);

    private static final jdk.incubator.vector.VectorShuffle<Byte> HALF0 = jdk.incubator.vector.VectorShuffle.fromOp(B64, j -> j % 32),
            HALF1 = jdk.incubator.vector.VectorShuffle.fromOp(B64, j -> 32 + j % 32);
    private static final jdk.incubator.vector.VectorMask<Byte> UPPER = jdk.incubator.vector.VectorMask.fromLong(B64, 0xffffffff00000000L);
    /** The quant vectors Q_w from the natural order: source vector c, lane j is value 128(c / 2) + 64(c mod 2) + j. */
    private static final QuantPerm[] QUANTS = java.util.stream.IntStream.range(0, 4)
            .mapToObj(w -> QuantPerm.of(b -> KOrder.value(2 * w + b % 2, b / 2), QuantPerm.inverse((c, j) -> 128 * (c / 2) + 64 * (c % 2) + j)))
            .toArray(QuantPerm[]::new);

    static final RunLayout LAYOUT = new Layout();

    /** The packed layout: fields are the 256 quants (0..63), the 16 scale bytes and the 2 bytes of d. */
    private static final class Layout extends RunLayout {
        Layout() { super(GgmlType.Q6_K, Tuning.INT8_MAX_TOKENS); }

        @Override
        int fieldCount() { return 256 + 16 + 2; }

        @Override
        void readGguf(byte[] r, int[] f) {
            for (int v = 0; v < 256; v++) {
                int h = v / 128, i = v % 128;
                f[v] = bits(r, 64 * h + i % 64, 4 * (i / 64), 4) | bits(r, 128 + 32 * h + i % 32, 2 * (i / 32), 2) << 4;
            }
            for (int i = 0; i < 18; i++) f[256 + i] = r[192 + i] & 0xff;
        }

        @Override
        void writeGguf(int[] f, byte[] r) {
            for (int v = 0; v < 256; v++) {
                int h = v / 128, i = v % 128;
                put(r, 64 * h + i % 64, 4 * (i / 64), 4, f[v]);
                put(r, 128 + 32 * h + i % 32, 2 * (i / 32), 2, f[v] >> 4);
            }
            for (int i = 0; i < 18; i++) r[192 + i] = (byte) f[256 + i];
        }

        @Override
        void readPacked(byte[] r, int[] f) {
            for (int pos = 0; pos < 256; pos++) {
                int w = pos / 64, b = quantByte(pos);
                f[KOrder.SOURCE[pos]] = bits(r, 64 * (w / 2) + b, 4 * (w % 2), 4) | bits(r, 128 + b, 2 * w, 2) << 4;
            }
            for (int i = 0; i < 18; i++) f[256 + i] = r[192 + i] & 0xff;
        }

        @Override
        void writePacked(int[] f, byte[] r) {
            for (int pos = 0; pos < 256; pos++) {
                int w = pos / 64, b = quantByte(pos), q = f[KOrder.SOURCE[pos]];
                put(r, 64 * (w / 2) + b, 4 * (w % 2), 4, q);
                put(r, 128 + b, 2 * w, 2, q >> 4);
            }
            for (int i = 0; i < 18; i++) r[192 + i] = (byte) f[256 + i];
        }

        @Override
        boolean hasVectorPacking() { return true; }

        /**
         * The GGUF quants as four vectors in natural order (low nibbles of ql's halves with their qh pairs, then the high
         * nibbles), permuted to the quant vectors {@code Q_w} and split into the nibble and pair planes.
         */
        @Override
        void packQuants(MemorySegment src, long s, MemorySegment dst, long d) {
            ByteVector qh = ByteVector.fromMemorySegment(B64, src, s + 128, LE);   // both halves' 32 bytes
            ByteVector l0 = ByteVector.fromMemorySegment(B64, src, s, LE), l1 = ByteVector.fromMemorySegment(B64, src, s + 64, LE);
            ByteVector h0 = qh.rearrange(HALF0), h1 = qh.rearrange(HALF1);
            // value 128h + j (lanes j): low nibble, qh bits 0-1 (j < 32) or 2-3; value 128h + 64 + j: high nibble, bits 4-5 or 6-7
            ByteVector s0 = l0.and((byte) 15).or(h0.blend(h0.lanewise(VectorOperators.LSHR, 2), UPPER).and((byte) 3).lanewise(VectorOperators.LSHL, 4));
            ByteVector s1 = l0.lanewise(VectorOperators.LSHR, 4).or(h0.lanewise(VectorOperators.LSHR, 4).blend(h0.lanewise(VectorOperators.LSHR, 6), UPPER).and((byte) 3).lanewise(VectorOperators.LSHL, 4));
            ByteVector s2 = l1.and((byte) 15).or(h1.blend(h1.lanewise(VectorOperators.LSHR, 2), UPPER).and((byte) 3).lanewise(VectorOperators.LSHL, 4));
            ByteVector s3 = l1.lanewise(VectorOperators.LSHR, 4).or(h1.lanewise(VectorOperators.LSHR, 4).blend(h1.lanewise(VectorOperators.LSHR, 6), UPPER).and((byte) 3).lanewise(VectorOperators.LSHL, 4));
            QuantPerm p0 = QUANTS[0], p1 = QUANTS[1], p2 = QUANTS[2], p3 = QUANTS[3];
            ByteVector q0 = p0.index().selectFrom(s0, s1).blend(p0.index().selectFrom(s2, s3), p0.upper());
            ByteVector q1 = p1.index().selectFrom(s0, s1).blend(p1.index().selectFrom(s2, s3), p1.upper());
            ByteVector q2 = p2.index().selectFrom(s0, s1).blend(p2.index().selectFrom(s2, s3), p2.upper());
            ByteVector q3 = p3.index().selectFrom(s0, s1).blend(p3.index().selectFrom(s2, s3), p3.upper());
            q0.and((byte) 15).or(q1.lanewise(VectorOperators.LSHL, 4)).intoMemorySegment(dst, d, LE);
            q2.and((byte) 15).or(q3.lanewise(VectorOperators.LSHL, 4)).intoMemorySegment(dst, d + 64, LE);
            q0.lanewise(VectorOperators.LSHR, 4).or(q1.lanewise(VectorOperators.LSHR, 4).lanewise(VectorOperators.LSHL, 2))
                    .or(q2.lanewise(VectorOperators.LSHR, 4).lanewise(VectorOperators.LSHL, 4)).or(q3.lanewise(VectorOperators.LSHR, 4).lanewise(VectorOperators.LSHL, 6))
                    .intoMemorySegment(dst, d + 128, LE);
        }

        @Override
        void decodeRuns(MemorySegment packed, long off, int runs, float[] out, int o) { decode(packed, off, runs, out, o); }

        @Override
        float dot(MemorySegment packed, long off, Int8Activations a, int ro, int runs) { return Q6KPacked.dot(packed, off, a, ro, runs); }

        @Override
        void dots(MemorySegment packed, long off, Int8Activations a, int ro, int runs, int m, float[] y, int yo, int ys) {
            Q6KPacked.dots(packed, off, a, ro, runs, m, y, yo, ys);
        }


        /** {@code d·Σ_j sc[j]·Σ (q − 32)·x}. */
        @Override
        double runDot(int[] f, int[] x, boolean magnitude) {
            long isum = 0;
            for (int v = 0; v < 256; v++) {
                long t = (long) (byte) f[256 + v / 16] * (f[v] - 32) * x[v];
                isum += magnitude ? Math.abs(t) : t;
            }
            double d = half(f, 272);
            return (magnitude ? Math.abs(d) : d) * isum;
        }
    }

    /** The byte of its quant vector {@code Q_w} ({@code w = t / 2}) that holds KOrder position {@code pos = 32t + l}. */
    private static int quantByte(int pos) { return 2 * (pos % 32) + pos / 32 % 2; }

    /** {@code Σ} of the packed row at {@code off} ({@code runs} super-blocks) times the activations' runs from {@code ro}. */
    static float dot(MemorySegment w, long off, Int8Activations a, int ro, int runs) {
        short[] xs = a.k;
        float[] xd = a.kd;
        FloatVector acc = FloatVector.zero(F16);
        for (int s = 0; s < runs; s++) {
            long p = off + (long) BYTES * s;
            int xi = 256 * (ro + s);
            // everything in short lanes (two quants each, one per byte): byte-typed vectors and reinterprets between
            // them were sometimes left uncompiled by C2 (Java fallbacks that allocate) when many kernels shared a JVM
            ShortVector p0 = ShortVector.fromMemorySegment(S32, w, p, LE), p1 = ShortVector.fromMemorySegment(S32, w, p + 64, LE);
            ShortVector h = ShortVector.fromMemorySegment(S32, w, p + 128, LE);
            // Q_w, both bytes of each short: low nibble | high pair at bits 4-5
            ShortVector q0 = p0.and((short) 0x0f0f).or(h.lanewise(VectorOperators.LSHL, 4).and((short) 0x3030));
            ShortVector q1 = p0.lanewise(VectorOperators.LSHR, 4).and((short) 0x0f0f).or(h.lanewise(VectorOperators.LSHL, 2).and((short) 0x3030));
            ShortVector q2 = p1.and((short) 0x0f0f).or(h.and((short) 0x3030));
            ShortVector q3 = p1.lanewise(VectorOperators.LSHR, 4).and((short) 0x0f0f).or(h.lanewise(VectorOperators.LSHR, 2).and((short) 0x3030));
            // the even bytes are KOrder vector 2w, the odd bytes 2w + 1; minus 32
            ShortVector prod = q0.and((short) 0x3f).sub((short) 32).mul(ShortVector.fromArray(S32, xs, xi))
                    .add(q0.lanewise(VectorOperators.LSHR, 8).sub((short) 32).mul(ShortVector.fromArray(S32, xs, xi + 32)))
                    .add(q1.and((short) 0x3f).sub((short) 32).mul(ShortVector.fromArray(S32, xs, xi + 64)))
                    .add(q1.lanewise(VectorOperators.LSHR, 8).sub((short) 32).mul(ShortVector.fromArray(S32, xs, xi + 96)))
                    .add(q2.and((short) 0x3f).sub((short) 32).mul(ShortVector.fromArray(S32, xs, xi + 128)))
                    .add(q2.lanewise(VectorOperators.LSHR, 8).sub((short) 32).mul(ShortVector.fromArray(S32, xs, xi + 160)))
                    .add(q3.and((short) 0x3f).sub((short) 32).mul(ShortVector.fromArray(S32, xs, xi + 192)))
                    .add(q3.lanewise(VectorOperators.LSHR, 8).sub((short) 32).mul(ShortVector.fromArray(S32, xs, xi + 224)));
            // adjacent lanes as ints, sign-extended and added: the pair's sum may exceed a short
            IntVector u = prod.reinterpretAsInts();
            IntVector sums = u.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u.lanewise(VectorOperators.ASHR, 16));
            IntVector scales = (IntVector) ByteVector.fromMemorySegment(B16, w, p + 192, LE).convertShape(VectorOperators.B2I, I16, 0);
            float d = Float.float16ToFloat(w.get(HALF, p + 208)) * xd[ro + s];
            acc = ((FloatVector) sums.mul(scales).convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, d), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * {@link #dot} for {@code m} tokens, 2 to 4 (token {@code t}'s runs from {@code ro + t·runs}, its sum at
     * {@code y[yo + t·ys]}): each super-block's quants are unpacked once for them all, which is most of a token's work
     * in {@link #dot}. The same operations per token.
     */
    static void dots(MemorySegment w, long off, Int8Activations a, int ro, int runs, int m, float[] y, int yo, int ys) {
        short[] xs = a.k;
        float[] xd = a.kd;
        int ts = 256 * runs;
        FloatVector acc0 = FloatVector.zero(F16), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (int s = 0; s < runs; s++) {
            long p = off + (long) BYTES * s;
            int xi = 256 * (ro + s), di = ro + s;
            ShortVector p0 = ShortVector.fromMemorySegment(S32, w, p, LE), p1 = ShortVector.fromMemorySegment(S32, w, p + 64, LE);
            ShortVector h = ShortVector.fromMemorySegment(S32, w, p + 128, LE);
            ShortVector q0 = p0.and((short) 0x0f0f).or(h.lanewise(VectorOperators.LSHL, 4).and((short) 0x3030));
            ShortVector q1 = p0.lanewise(VectorOperators.LSHR, 4).and((short) 0x0f0f).or(h.lanewise(VectorOperators.LSHL, 2).and((short) 0x3030));
            ShortVector q2 = p1.and((short) 0x0f0f).or(h.and((short) 0x3030));
            ShortVector q3 = p1.lanewise(VectorOperators.LSHR, 4).and((short) 0x0f0f).or(h.lanewise(VectorOperators.LSHR, 2).and((short) 0x3030));
            ShortVector w0 = q0.and((short) 0x3f).sub((short) 32), w1 = q0.lanewise(VectorOperators.LSHR, 8).sub((short) 32);
            ShortVector w2 = q1.and((short) 0x3f).sub((short) 32), w3 = q1.lanewise(VectorOperators.LSHR, 8).sub((short) 32);
            ShortVector w4 = q2.and((short) 0x3f).sub((short) 32), w5 = q2.lanewise(VectorOperators.LSHR, 8).sub((short) 32);
            ShortVector w6 = q3.and((short) 0x3f).sub((short) 32), w7 = q3.lanewise(VectorOperators.LSHR, 8).sub((short) 32);
            IntVector scales = (IntVector) ByteVector.fromMemorySegment(B16, w, p + 192, LE).convertShape(VectorOperators.B2I, I16, 0);
            float dw = Float.float16ToFloat(w.get(HALF, p + 208));
            IntVector u;
            // the tokens written out: accumulators in an array, or vectors passed to a helper C2 may not inline, are boxed
            // token 0
            u = w0.mul(ShortVector.fromArray(S32, xs, xi)).add(w1.mul(ShortVector.fromArray(S32, xs, xi + 32)))
                    .add(w2.mul(ShortVector.fromArray(S32, xs, xi + 64))).add(w3.mul(ShortVector.fromArray(S32, xs, xi + 96)))
                    .add(w4.mul(ShortVector.fromArray(S32, xs, xi + 128))).add(w5.mul(ShortVector.fromArray(S32, xs, xi + 160)))
                    .add(w6.mul(ShortVector.fromArray(S32, xs, xi + 192))).add(w7.mul(ShortVector.fromArray(S32, xs, xi + 224))).reinterpretAsInts();
            acc0 = ((FloatVector) u.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u.lanewise(VectorOperators.ASHR, 16))
                    .mul(scales).convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, dw * xd[di]), acc0);
            // token 1
            u = w0.mul(ShortVector.fromArray(S32, xs, xi + ts)).add(w1.mul(ShortVector.fromArray(S32, xs, xi + ts + 32)))
                    .add(w2.mul(ShortVector.fromArray(S32, xs, xi + ts + 64))).add(w3.mul(ShortVector.fromArray(S32, xs, xi + ts + 96)))
                    .add(w4.mul(ShortVector.fromArray(S32, xs, xi + ts + 128))).add(w5.mul(ShortVector.fromArray(S32, xs, xi + ts + 160)))
                    .add(w6.mul(ShortVector.fromArray(S32, xs, xi + ts + 192))).add(w7.mul(ShortVector.fromArray(S32, xs, xi + ts + 224))).reinterpretAsInts();
            acc1 = ((FloatVector) u.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u.lanewise(VectorOperators.ASHR, 16))
                    .mul(scales).convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, dw * xd[di + runs]), acc1);
            // token 2
            if (m > 2) {
                u = w0.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts)).add(w1.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 32)))
                        .add(w2.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 64))).add(w3.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 96)))
                        .add(w4.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 128))).add(w5.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 160)))
                        .add(w6.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 192))).add(w7.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 224))).reinterpretAsInts();
                acc2 = ((FloatVector) u.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u.lanewise(VectorOperators.ASHR, 16))
                        .mul(scales).convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, dw * xd[di + 2 * runs]), acc2);
            }
            // token 3
            if (m > 3) {
                u = w0.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts)).add(w1.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 32)))
                        .add(w2.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 64))).add(w3.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 96)))
                        .add(w4.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 128))).add(w5.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 160)))
                        .add(w6.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 192))).add(w7.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 224))).reinterpretAsInts();
                acc3 = ((FloatVector) u.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u.lanewise(VectorOperators.ASHR, 16))
                        .mul(scales).convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, dw * xd[di + 3 * runs]), acc3);
            }
        }
        y[yo] = acc0.reduceLanes(VectorOperators.ADD);
        y[yo + ys] = acc1.reduceLanes(VectorOperators.ADD);
        if (m > 2) y[yo + 2 * ys] = acc2.reduceLanes(VectorOperators.ADD);
        if (m > 3) y[yo + 3 * ys] = acc3.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Decodes {@code runs} packed super-blocks from {@code off} into {@code out[o ..]}, each run of 256 transposed
     * ({@link PackedLayout#decodeRow}): the quant vectors are built as in {@link #dot}, and byte {@code j} of int lane
     * {@code i} of {@code Q_w}, minus 32, is value {@code 16i + 4w + 2(j mod 2) + j div 2}, times the lane's sub-block
     * scale {@code d·sc[i]}.
     */
    static void decode(MemorySegment w, long off, int runs, float[] out, int o) {
        for (int s = 0; s < runs; s++) {
            long p = off + (long) BYTES * s;
            int base = o + 256 * s;
            FloatVector sc = ((FloatVector) ByteVector.fromMemorySegment(B16, w, p + 192, LE).convertShape(VectorOperators.B2I, I16, 0)
                    .convertShape(VectorOperators.I2F, F16, 0)).mul(Float.float16ToFloat(w.get(HALF, p + 208)));
            ShortVector h = ShortVector.fromMemorySegment(S32, w, p + 128, LE);
            // loops, not written out: in one method of 16 written-out stores C2 stopped inlining and boxed vectors
            for (int q = 0; q < 4; q++) {
                ShortVector nib = ShortVector.fromMemorySegment(S32, w, p + 64L * (q / 2), LE).lanewise(VectorOperators.LSHR, 4 * (q % 2));
                // Q_q: low nibble | high pair at bits 4-5, in both bytes of each short
                IntVector u = nib.and((short) 0x0f0f).or(h.lanewise(VectorOperators.LSHR, 2 * q).and((short) 0x0303).lanewise(VectorOperators.LSHL, 4))
                        .reinterpretAsInts();
                for (int j = 0; j < 4; j++) {   // byte j of an int lane, minus 32: value 16i + 4q + 2(j mod 2) + j div 2
                    ((FloatVector) u.lanewise(VectorOperators.LSHR, 8 * j).and(0xff).sub(32).convertShape(VectorOperators.I2F, F16, 0))
                            .mul(sc).intoArray(out, base + 16 * (4 * q + 2 * (j % 2) + j / 2));
                }
            }
        }
    }


}
