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
 * One-token products of Q4_K rows, packed so that a super-block's 256 nibbles come out of two 64-byte loads in
 * {@link KOrder} and its scales and mins out of one 16-byte load. GGUF Q4_K: fp16 {@code d}, fp16 {@code dmin}, 12
 * bytes of eight 6-bit scales {@code sc[J]} and mins {@code m[J]}, 128 bytes of nibbles; value
 * {@code = d·sc[J]·q − dmin·m[J]} for sub-block {@code J} of 32 values. Packed, per super-block:
 * <pre>
 *   bytes   0 .. 127   two vectors P_p (p = 0, 1) of 32 shorts: nibble k of short lane l is the quant at KOrder
 *                      position (4p + k, l)
 *   bytes 128 .. 135   byte J: sc[J] in bits 0-5, bits 4-5 of m[J] in bits 6-7
 *   bytes 136 .. 139   byte 136 + (J mod 4): the low four bits of m[J] in its low (J &lt; 4) or high nibble
 *   bytes 140 .. 143   d, dmin
 * </pre>
 * The kernel takes the nibbles out of each short with shifts and masks, multiplies them (0..15) by
 * {@link Int8Activations#k}, adds all eight products of a lane as shorts
 * (|sum| ≤ 8·15·127) and adjacent lanes as ints: int lane {@code i} is sub-block {@code i / 2}'s half {@code i % 2}.
 * Scales and mins come out of the 16-byte load with one permute each; the mins meet the activations' sums
 * ({@link Int8Activations#kbsum}): {@code d·d_x·Σ sc·Σ q·x − dmin·d_x·Σ m·Σ x}.
 */
final class Q4KPacked {
    private Q4KPacked() {}

    static final int BYTES = 144;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S32 = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    /** Int lane i takes byte i / 2 (sub-block i / 2's scale byte), or byte 8 + (i / 2) mod 4 (its min nibble byte). */
    static final VectorShuffle<Integer> SCALE_BYTE = VectorShuffle.fromOp(I16, i -> i / 2),
            MIN_BYTE = VectorShuffle.fromOp(I16, i -> 8 + i / 2 % 4);
    /** Shift of lane i's min nibble: 0 for sub-blocks 0-3, 4 for 4-7. */
    static final IntVector MIN_SHIFT = IntVector.fromArray(I16, new int[]{0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4}, 0);

    static final RunLayout LAYOUT = new Layout();

    /** The packed layout: fields are the 256 quants (0..15), the 8 scales, the 8 mins and the 4 bytes of d and dmin. */
    private static final class Layout extends RunLayout {
        Layout() { super(GgmlType.Q4_K, Tuning.INT8_MAX_TOKENS); }

        @Override
        int fieldCount() { return 256 + 16 + 4; }

        @Override
        void readGguf(byte[] r, int[] f) {
            for (int v = 0; v < 256; v++) f[v] = bits(r, 16 + 32 * (v / 64) + v % 32, 4 * (v / 32 % 2), 4);
            readGgufScales(r, 4, f);
            for (int i = 0; i < 4; i++) f[272 + i] = r[i] & 0xff;
        }

        @Override
        void writeGguf(int[] f, byte[] r) {
            for (int v = 0; v < 256; v++) put(r, 16 + 32 * (v / 64) + v % 32, 4 * (v / 32 % 2), 4, f[v]);
            writeGgufScales(f, r, 4);
            for (int i = 0; i < 4; i++) r[i] = (byte) f[272 + i];
        }

        @Override
        void readPacked(byte[] r, int[] f) {
            for (int pos = 0; pos < 256; pos++) f[KOrder.SOURCE[pos]] = bits(r, nibbleByte(pos), nibbleShift(pos), 4);
            readPackedScales(r, 128, f);
            for (int i = 0; i < 4; i++) f[272 + i] = r[140 + i] & 0xff;
        }

        @Override
        void writePacked(int[] f, byte[] r) {
            for (int pos = 0; pos < 256; pos++) put(r, nibbleByte(pos), nibbleShift(pos), 4, f[KOrder.SOURCE[pos]]);
            writePackedScales(f, r, 128);
            for (int i = 0; i < 4; i++) r[140 + i] = (byte) f[272 + i];
        }

        @Override
        boolean hasVectorPacking() { return true; }

        @Override
        void packQuants(MemorySegment src, long s, MemorySegment dst, long d) { packNibbles(src, s + 16, dst, d); }

        @Override
        void decodeRuns(MemorySegment packed, long off, int runs, float[] out, int o) { decode(packed, off, runs, out, o); }

        @Override
        float dot(MemorySegment packed, long off, Int8Activations a, int ro, int runs) { return Q4KPacked.dot(packed, off, a, ro, runs); }

        @Override
        void dots(MemorySegment packed, long off, Int8Activations a, int ro, int runs, int m, float[] y, int yo, int ys) {
            Q4KPacked.dots(packed, off, a, ro, runs, m, y, yo, ys);
        }


        @Override
        double runDot(int[] f, int[] x, boolean magnitude) { return minRunDot(f, x, magnitude); }
    }

    /**
     * Where the quants of a GGUF Q4_K/Q5_K run sit once its 128 nibble bytes ({@code qs}) are split into four vectors:
     * the low and high nibbles of bytes 0..63, then of 64..127; byte {@code j} of chunk {@code c = j / 32} holds values
     * {@code 32c + j mod 32} and {@code 32c + 16 + ...}: value {@code 64·chunk + 32·(nibble) + j mod 32}.
     */
    static final int[] NIBBLE_SOURCE = QuantPerm.inverse((c, j) -> 64 * (2 * (c / 2) + j / 32) + 32 * (c % 2) + j % 32);
    /** The packed nibble plane's two vectors, as the low (A) and high (B) nibbles of each byte: A0, B0, A1, B1. */
    static final QuantPerm[] NIBBLE_PLANE = {
            QuantPerm.of(b -> KOrder.value(2 * (b % 2), b / 2), NIBBLE_SOURCE), QuantPerm.of(b -> KOrder.value(2 * (b % 2) + 1, b / 2), NIBBLE_SOURCE),
            QuantPerm.of(b -> KOrder.value(4 + 2 * (b % 2), b / 2), NIBBLE_SOURCE), QuantPerm.of(b -> KOrder.value(5 + 2 * (b % 2), b / 2), NIBBLE_SOURCE)};

    /**
     * Packs the 128 GGUF nibble bytes at {@code src[qs]} into the nibble plane at {@code dst[d]} (Q4_K, and Q5_K's
     * low bits): split into four vectors of quants, permuted ({@link #NIBBLE_PLANE}) and joined two per byte.
     */
    static void packNibbles(MemorySegment src, long qs, MemorySegment dst, long d) {
        ByteVector l0 = ByteVector.fromMemorySegment(QuantPerm.B64, src, qs, LE), l1 = ByteVector.fromMemorySegment(QuantPerm.B64, src, qs + 64, LE);
        ByteVector s0 = l0.and((byte) 15), s1 = l0.lanewise(VectorOperators.LSHR, 4), s2 = l1.and((byte) 15), s3 = l1.lanewise(VectorOperators.LSHR, 4);
        for (int p = 0; p < 2; p++) {
            QuantPerm lo = NIBBLE_PLANE[2 * p], hi = NIBBLE_PLANE[2 * p + 1];
            ByteVector a = lo.index().selectFrom(s0, s1).blend(lo.index().selectFrom(s2, s3), lo.upper());
            ByteVector b = hi.index().selectFrom(s0, s1).blend(hi.index().selectFrom(s2, s3), hi.upper());
            a.or(b.lanewise(VectorOperators.LSHL, 4)).intoMemorySegment(dst, d + 64L * p, LE);
        }
    }

    /**
     * {@code d·Σ_J sc[J]·Σ q·x − dmin·Σ_J m[J]·Σ x} for fields of 256 quants, 8 scales, 8 mins, d and dmin (Q4_K,
     * Q5_K).
     */
    static double minRunDot(int[] f, int[] x, boolean magnitude) {
        long qsum = 0, msum = 0;
        for (int v = 0; v < 256; v++) {
            long q = (long) f[256 + v / 32] * f[v] * x[v], m = (long) f[264 + v / 32] * x[v];
            qsum += magnitude ? Math.abs(q) : q;
            msum += magnitude ? Math.abs(m) : m;
        }
        double d = RunLayout.half(f, 272), dmin = RunLayout.half(f, 274);
        return magnitude ? Math.abs(d) * qsum + Math.abs(dmin) * msum : d * qsum - dmin * msum;
    }

    /** The eight 6-bit scales and mins of a GGUF Q4_K/Q5_K run (12 bytes at {@code r[o]}) into {@code f[256 .. 272)}. */
    static void readGgufScales(byte[] r, int o, int[] f) {
        for (int j = 0; j < 8; j++) {
            f[256 + j] = j < 4 ? bits(r, o + j, 0, 6) : bits(r, o + j + 4, 0, 4) | bits(r, o + j - 4, 6, 2) << 4;
            f[264 + j] = j < 4 ? bits(r, o + j + 4, 0, 6) : bits(r, o + j + 4, 4, 4) | bits(r, o + j, 6, 2) << 4;
        }
    }

    /** The inverse of {@link #readGgufScales}. */
    static void writeGgufScales(int[] f, byte[] r, int o) {
        for (int j = 0; j < 8; j++) {
            int sc = f[256 + j], m = f[264 + j];
            if (j < 4) {
                put(r, o + j, 0, 6, sc);
                put(r, o + j + 4, 0, 6, m);
            } else {   // low four bits in bytes 8..11, top two bits in the top of bytes 0..7
                put(r, o + j + 4, 0, 4, sc);
                put(r, o + j + 4, 4, 4, m);
                put(r, o + j - 4, 6, 2, sc >> 4);
                put(r, o + j, 6, 2, m >> 4);
            }
        }
    }

    /** The scales and mins in the packed encoding (12 bytes at {@code r[o]}, see the class comment) into {@code f[256 .. 272)}. */
    static void readPackedScales(byte[] r, int o, int[] f) {
        for (int j = 0; j < 8; j++) {
            f[256 + j] = bits(r, o + j, 0, 6);
            f[264 + j] = bits(r, o + 8 + j % 4, 4 * (j / 4), 4) | bits(r, o + j, 6, 2) << 4;
        }
    }

    /** The inverse of {@link #readPackedScales}. */
    static void writePackedScales(int[] f, byte[] r, int o) {
        for (int j = 0; j < 8; j++) {
            put(r, o + j, 0, 6, f[256 + j]);
            put(r, o + j, 6, 2, f[264 + j] >> 4);
            put(r, o + 8 + j % 4, 4 * (j / 4), 4, f[264 + j]);
        }
    }

    /** {@code Σ} of the packed row at {@code off} ({@code runs} super-blocks) times the activations' runs from {@code ro}. */
    static float dot(MemorySegment w, long off, Int8Activations a, int ro, int runs) {
        short[] xs = a.k;
        float[] xd = a.kd;
        int[] bsum = a.kbsum;
        FloatVector acc = FloatVector.zero(F16);
        for (int s = 0; s < runs; s++) {
            long p = off + (long) BYTES * s;
            int xi = 256 * (ro + s);
            ShortVector p0 = ShortVector.fromMemorySegment(S32, w, p, LE), p1 = ShortVector.fromMemorySegment(S32, w, p + 64, LE);
            ShortVector prod = p0.and((short) 15).mul(ShortVector.fromArray(S32, xs, xi))
                    .add(p0.lanewise(VectorOperators.LSHR, 4).and((short) 15).mul(ShortVector.fromArray(S32, xs, xi + 32)))
                    .add(p0.lanewise(VectorOperators.LSHR, 8).and((short) 15).mul(ShortVector.fromArray(S32, xs, xi + 64)))
                    .add(p0.lanewise(VectorOperators.LSHR, 12).mul(ShortVector.fromArray(S32, xs, xi + 96)))
                    .add(p1.and((short) 15).mul(ShortVector.fromArray(S32, xs, xi + 128)))
                    .add(p1.lanewise(VectorOperators.LSHR, 4).and((short) 15).mul(ShortVector.fromArray(S32, xs, xi + 160)))
                    .add(p1.lanewise(VectorOperators.LSHR, 8).and((short) 15).mul(ShortVector.fromArray(S32, xs, xi + 192)))
                    .add(p1.lanewise(VectorOperators.LSHR, 12).mul(ShortVector.fromArray(S32, xs, xi + 224)));
            IntVector u = prod.reinterpretAsInts();
            IntVector sums = u.add(u.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
            // scales and mins written out, as everywhere in the kernels: a call C2 does not inline boxes its vectors
            IntVector bytes = (IntVector) ByteVector.fromMemorySegment(B16, w, p + 128, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            IntVector sb = bytes.rearrange(SCALE_BYTE);
            IntVector scales = sb.and(63);
            IntVector mins = sb.lanewise(VectorOperators.LSHR, 2).and(0x30).or(bytes.rearrange(MIN_BYTE).lanewise(VectorOperators.LSHR, MIN_SHIFT).and(15));
            float dx = xd[ro + s];
            float d = Float.float16ToFloat(w.get(HALF, p + 140)) * dx, dmin = Float.float16ToFloat(w.get(HALF, p + 142)) * dx;
            acc = ((FloatVector) sums.mul(scales).convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, d), acc);
            acc = ((FloatVector) IntVector.fromArray(I16, bsum, 16 * (ro + s)).mul(mins).convertShape(VectorOperators.I2F, F16, 0))
                    .fma(FloatVector.broadcast(F16, -dmin), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * {@link #dot} for {@code m} tokens, 2 to 4 (token {@code t}'s runs from {@code ro + t·runs}, its sum at
     * {@code y[yo + t·ys]}): each super-block's nibbles, scales and mins are unpacked once for them all. The same
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
            ShortVector p0 = ShortVector.fromMemorySegment(S32, w, p, LE), p1 = ShortVector.fromMemorySegment(S32, w, p + 64, LE);
            ShortVector w0 = p0.and((short) 15), w1 = p0.lanewise(VectorOperators.LSHR, 4).and((short) 15);
            ShortVector w2 = p0.lanewise(VectorOperators.LSHR, 8).and((short) 15), w3 = p0.lanewise(VectorOperators.LSHR, 12);
            ShortVector w4 = p1.and((short) 15), w5 = p1.lanewise(VectorOperators.LSHR, 4).and((short) 15);
            ShortVector w6 = p1.lanewise(VectorOperators.LSHR, 8).and((short) 15), w7 = p1.lanewise(VectorOperators.LSHR, 12);
            IntVector bytes = (IntVector) ByteVector.fromMemorySegment(B16, w, p + 128, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            IntVector sb = bytes.rearrange(SCALE_BYTE);
            IntVector scales = sb.and(63);
            IntVector mins = sb.lanewise(VectorOperators.LSHR, 2).and(0x30).or(bytes.rearrange(MIN_BYTE).lanewise(VectorOperators.LSHR, MIN_SHIFT).and(15));
            float dw = Float.float16ToFloat(w.get(HALF, p + 140)), dmin = Float.float16ToFloat(w.get(HALF, p + 142));
            ShortVector prod;
            IntVector u;
            float dx;
            // the tokens written out: accumulators in an array, or vectors passed to a helper C2 may not inline, are boxed
            // token 0
            prod = w0.mul(ShortVector.fromArray(S32, xs, xi)).add(w1.mul(ShortVector.fromArray(S32, xs, xi + 32)))
                    .add(w2.mul(ShortVector.fromArray(S32, xs, xi + 64))).add(w3.mul(ShortVector.fromArray(S32, xs, xi + 96)))
                    .add(w4.mul(ShortVector.fromArray(S32, xs, xi + 128))).add(w5.mul(ShortVector.fromArray(S32, xs, xi + 160)))
                    .add(w6.mul(ShortVector.fromArray(S32, xs, xi + 192))).add(w7.mul(ShortVector.fromArray(S32, xs, xi + 224)));
            u = prod.reinterpretAsInts();
            dx = xd[di];
            acc0 = ((FloatVector) u.add(u.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).mul(scales)
                    .convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, dw * dx), acc0);
            acc0 = ((FloatVector) IntVector.fromArray(I16, bsum, 16 * di).mul(mins).convertShape(VectorOperators.I2F, F16, 0))
                    .fma(FloatVector.broadcast(F16, -(dmin * dx)), acc0);
            // token 1
            prod = w0.mul(ShortVector.fromArray(S32, xs, xi + ts)).add(w1.mul(ShortVector.fromArray(S32, xs, xi + ts + 32)))
                    .add(w2.mul(ShortVector.fromArray(S32, xs, xi + ts + 64))).add(w3.mul(ShortVector.fromArray(S32, xs, xi + ts + 96)))
                    .add(w4.mul(ShortVector.fromArray(S32, xs, xi + ts + 128))).add(w5.mul(ShortVector.fromArray(S32, xs, xi + ts + 160)))
                    .add(w6.mul(ShortVector.fromArray(S32, xs, xi + ts + 192))).add(w7.mul(ShortVector.fromArray(S32, xs, xi + ts + 224)));
            u = prod.reinterpretAsInts();
            dx = xd[di + runs];
            acc1 = ((FloatVector) u.add(u.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).mul(scales)
                    .convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, dw * dx), acc1);
            acc1 = ((FloatVector) IntVector.fromArray(I16, bsum, 16 * (di + runs)).mul(mins).convertShape(VectorOperators.I2F, F16, 0))
                    .fma(FloatVector.broadcast(F16, -(dmin * dx)), acc1);
            // token 2
            if (m > 2) {
                prod = w0.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts)).add(w1.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 32)))
                        .add(w2.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 64))).add(w3.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 96)))
                        .add(w4.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 128))).add(w5.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 160)))
                        .add(w6.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 192))).add(w7.mul(ShortVector.fromArray(S32, xs, xi + 2 * ts + 224)));
                u = prod.reinterpretAsInts();
                dx = xd[di + 2 * runs];
                acc2 = ((FloatVector) u.add(u.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).mul(scales)
                        .convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, dw * dx), acc2);
                acc2 = ((FloatVector) IntVector.fromArray(I16, bsum, 16 * (di + 2 * runs)).mul(mins).convertShape(VectorOperators.I2F, F16, 0))
                        .fma(FloatVector.broadcast(F16, -(dmin * dx)), acc2);
            }
            // token 3
            if (m > 3) {
                prod = w0.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts)).add(w1.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 32)))
                        .add(w2.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 64))).add(w3.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 96)))
                        .add(w4.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 128))).add(w5.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 160)))
                        .add(w6.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 192))).add(w7.mul(ShortVector.fromArray(S32, xs, xi + 3 * ts + 224)));
                u = prod.reinterpretAsInts();
                dx = xd[di + 3 * runs];
                acc3 = ((FloatVector) u.add(u.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).mul(scales)
                        .convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, dw * dx), acc3);
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
     * Decodes {@code runs} packed super-blocks from {@code off} into {@code out[o ..]}, each run of 256 transposed
     * ({@link PackedLayout#decodeRow}): nibble {@code j} of int lane {@code i} of {@code P_p} is value
     * {@code 16i + 8p + 2(j mod 4) + j div 4}, which becomes {@code d·sc·q − dmin·m} with the lane's sub-block
     * {@code i / 2}.
     */
    static void decode(MemorySegment w, long off, int runs, float[] out, int o) {
        for (int s = 0; s < runs; s++) {
            long p = off + (long) BYTES * s;
            int base = o + 256 * s;
            IntVector bytes = (IntVector) ByteVector.fromMemorySegment(B16, w, p + 128, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            IntVector sb = bytes.rearrange(SCALE_BYTE);
            IntVector mins = sb.lanewise(VectorOperators.LSHR, 2).and(0x30).or(bytes.rearrange(MIN_BYTE).lanewise(VectorOperators.LSHR, MIN_SHIFT).and(15));
            FloatVector scale = ((FloatVector) sb.and(63).convertShape(VectorOperators.I2F, F16, 0)).mul(Float.float16ToFloat(w.get(HALF, p + 140)));
            FloatVector min = ((FloatVector) mins.convertShape(VectorOperators.I2F, F16, 0)).mul(-Float.float16ToFloat(w.get(HALF, p + 142)));
            for (int v = 0; v < 16; v++) {   // nibble j of vector q: value 16i + 8q + 2(j mod 4) + j div 4
                int q = v / 8, j = v % 8;
                ((FloatVector) IntVector.fromMemorySegment(I16, w, p + 64L * q, LE).lanewise(VectorOperators.LSHR, 4 * j).and(15).convertShape(VectorOperators.I2F, F16, 0))
                        .fma(scale, min).intoArray(out, base + 16 * (8 * q + 2 * (j % 4) + j / 4));
            }
        }
    }


}
