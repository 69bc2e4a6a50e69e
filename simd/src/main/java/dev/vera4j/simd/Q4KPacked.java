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
    private static final VectorShuffle<Integer> SCALE_BYTE = VectorShuffle.fromOp(I16, i -> i / 2),
            MIN_BYTE = VectorShuffle.fromOp(I16, i -> 8 + i / 2 % 4);
    /** Shift of lane i's min nibble: 0 for sub-blocks 0-3, 4 for 4-7. */
    private static final IntVector MIN_SHIFT = IntVector.fromArray(I16, new int[]{0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4}, 0);

    static final PackedLayout LAYOUT = new BlockLayout(GgmlType.Q4_K) {
        @Override
        void packBlock(MemorySegment src, long s, MemorySegment dst, long d) {
            for (int i = 0; i < 128; i++) dst.set(ValueLayout.JAVA_BYTE, d + i, (byte) 0);
            for (int p = 0; p < 2; p++) for (int b = 0; b < 64; b++) for (int h = 0; h < 2; h++) {
                or(dst, d + 64 * p + b, quant(src, s, value(p, b, h)) << 4 * h);
            }
            for (int j = 0; j < 4; j++) dst.set(ValueLayout.JAVA_BYTE, d + 136 + j, (byte) 0);
            for (int j = 0; j < 8; j++) {
                int sc = scale(src, s, j), m = min(src, s, j);
                dst.set(ValueLayout.JAVA_BYTE, d + 128 + j, (byte) (sc | (m >> 4) << 6));
                or(dst, d + 136 + j % 4, (m & 15) << 4 * (j / 4));
            }
            MemorySegment.copy(src, s, dst, d + 140, 4);
        }

        @Override
        void unpackBlock(MemorySegment src, long s, MemorySegment dst, long d) {
            for (int i = 0; i < 144; i++) dst.set(ValueLayout.JAVA_BYTE, d + i, (byte) 0);
            MemorySegment.copy(src, s + 140, dst, d, 4);
            for (int j = 0; j < 8; j++) {
                int b = u8(src, s + 128 + j), sc = b & 63, m = (b >> 6) << 4 | u8(src, s + 136 + j % 4) >> 4 * (j / 4) & 15;
                if (j < 4) {
                    or(dst, d + 4 + j, sc);
                    or(dst, d + 8 + j, m);
                } else {   // low four bits in bytes 8..11, top two bits in the top of bytes 0..7
                    or(dst, d + 12 + j - 4, sc & 15 | (m & 15) << 4);
                    or(dst, d + 4 + j - 4, (sc >> 4) << 6);
                    or(dst, d + 8 + j - 4, (m >> 4) << 6);
                }
            }
            for (int p = 0; p < 2; p++) for (int b = 0; b < 64; b++) for (int h = 0; h < 2; h++) {
                int v = value(p, b, h), sub = v / 32;
                or(dst, d + 16 + 32 * (sub / 2) + v % 32, (u8(src, s + 64 * p + b) >> 4 * h & 15) << 4 * (sub % 2));
            }
        }

        @Override
        void decodeRuns(MemorySegment packed, long off, int runs, float[] out, int o) { decode(packed, off, runs, out, o); }
    };

    /** The value whose quant is nibble {@code h} of byte {@code b} of vector {@code p}: KOrder position (4p + k, b div 2) with k = 2(b mod 2) + h. */
    static int value(int p, int b, int h) { return KOrder.value(4 * p + 2 * (b & 1) + h, b >> 1); }

    /** The 4-bit quant of value {@code v} of the GGUF super-block at {@code o}. */
    static int quant(MemorySegment m, long o, int v) {
        int sub = v / 32;
        return u8(m, o + 16 + 32 * (sub / 2) + v % 32) >> 4 * (sub % 2) & 15;
    }

    /** The 6-bit scale of sub-block {@code j} of the GGUF super-block at {@code o}. */
    static int scale(MemorySegment m, long o, int j) {
        long sc = o + 4;
        return j < 4 ? u8(m, sc + j) & 63 : (u8(m, sc + j + 4) & 15) | (u8(m, sc + j - 4) >> 6) << 4;
    }

    /** The 6-bit min of sub-block {@code j} of the GGUF super-block at {@code o}. */
    static int min(MemorySegment m, long o, int j) {
        long sc = o + 4;
        return j < 4 ? u8(m, sc + j + 4) & 63 : (u8(m, sc + j + 4) >> 4) | (u8(m, sc + j) >> 6) << 4;
    }

    private static int u8(MemorySegment m, long o) { return m.get(ValueLayout.JAVA_BYTE, o) & 0xff; }

    private static void or(MemorySegment m, long o, int bits) {
        m.set(ValueLayout.JAVA_BYTE, o, (byte) (m.get(ValueLayout.JAVA_BYTE, o) | bits));
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
     * Decodes {@code runs} packed super-blocks from {@code off} into {@code out[o ..]}, each run of 256 transposed
     * ({@link PackedLayout#decodeRow}): nibble {@code j} of int lane {@code i} of {@code P_p} is value
     * {@code 16i + 8p + 2(j mod 4) + j div 4}, which becomes {@code d·sc·q − dmin·m} with the lane's sub-block
     * {@code i / 2}.
     */
    static void decode(MemorySegment w, long off, int runs, float[] out, int o) {
        for (int s = 0; s < runs; s++) {
            long p = off + (long) BYTES * s;
            int base = o + 256 * s;
            IntVector u0 = IntVector.fromMemorySegment(I16, w, p, LE), u1 = IntVector.fromMemorySegment(I16, w, p + 64, LE);
            IntVector bytes = (IntVector) ByteVector.fromMemorySegment(B16, w, p + 128, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I16, 0);
            IntVector sb = bytes.rearrange(SCALE_BYTE);
            IntVector mins = sb.lanewise(VectorOperators.LSHR, 2).and(0x30).or(bytes.rearrange(MIN_BYTE).lanewise(VectorOperators.LSHR, MIN_SHIFT).and(15));
            FloatVector scale = ((FloatVector) sb.and(63).convertShape(VectorOperators.I2F, F16, 0)).mul(Float.float16ToFloat(w.get(HALF, p + 140)));
            FloatVector min = ((FloatVector) mins.convertShape(VectorOperators.I2F, F16, 0)).mul(-Float.float16ToFloat(w.get(HALF, p + 142)));
            nibbleOut(u0.and(15), scale, min, out, base);
            nibbleOut(u0.lanewise(VectorOperators.LSHR, 4).and(15), scale, min, out, base + 16 * 2);
            nibbleOut(u0.lanewise(VectorOperators.LSHR, 8).and(15), scale, min, out, base + 16 * 4);
            nibbleOut(u0.lanewise(VectorOperators.LSHR, 12).and(15), scale, min, out, base + 16 * 6);
            nibbleOut(u0.lanewise(VectorOperators.LSHR, 16).and(15), scale, min, out, base + 16);
            nibbleOut(u0.lanewise(VectorOperators.LSHR, 20).and(15), scale, min, out, base + 16 * 3);
            nibbleOut(u0.lanewise(VectorOperators.LSHR, 24).and(15), scale, min, out, base + 16 * 5);
            nibbleOut(u0.lanewise(VectorOperators.LSHR, 28), scale, min, out, base + 16 * 7);
            nibbleOut(u1.and(15), scale, min, out, base + 16 * 8);
            nibbleOut(u1.lanewise(VectorOperators.LSHR, 4).and(15), scale, min, out, base + 16 * 10);
            nibbleOut(u1.lanewise(VectorOperators.LSHR, 8).and(15), scale, min, out, base + 16 * 12);
            nibbleOut(u1.lanewise(VectorOperators.LSHR, 12).and(15), scale, min, out, base + 16 * 14);
            nibbleOut(u1.lanewise(VectorOperators.LSHR, 16).and(15), scale, min, out, base + 16 * 9);
            nibbleOut(u1.lanewise(VectorOperators.LSHR, 20).and(15), scale, min, out, base + 16 * 11);
            nibbleOut(u1.lanewise(VectorOperators.LSHR, 24).and(15), scale, min, out, base + 16 * 13);
            nibbleOut(u1.lanewise(VectorOperators.LSHR, 28), scale, min, out, base + 16 * 15);
        }
    }

    /** {@code out[o .. o+16) = q · scale + min}, lane by lane. */
    private static void nibbleOut(IntVector q, FloatVector scale, FloatVector min, float[] out, int o) {
        ((FloatVector) q.convertShape(VectorOperators.I2F, F16, 0)).fma(scale, min).intoArray(out, o);
    }

    /**
     * Scalar reference of {@link #dot} over the GGUF row at {@code off} (not the packed one):
     * {@code Σ_s d_x·(d·Σ_J sc[J]·Σ q·x − dmin·Σ_J m[J]·Σ x)}, the integer sums exact, in double.
     */
    static double dotReference(MemorySegment gguf, long off, Int8Activations a, int ro, int runs) {
        double sum = 0;
        for (int s = 0; s < runs; s++) {
            long o = off + (long) BYTES * s;
            long qsum = 0, msum = 0;
            for (int v = 0; v < 256; v++) {
                int x = a.k[256 * (ro + s) + KOrder.POSITION[v]];
                qsum += (long) scale(gguf, o, v / 32) * quant(gguf, o, v) * x;
                msum += (long) min(gguf, o, v / 32) * x;
            }
            double dx = a.kd[ro + s];
            sum += dx * (Float.float16ToFloat(gguf.get(HALF, o)) * (double) qsum - Float.float16ToFloat(gguf.get(HALF, o + 2)) * (double) msum);
        }
        return sum;
    }

    /** Rows {@code [start, end)} of one token, read from the packed copy. */
    static final class Job extends Int8Job {
        @Override
        int layouts() { return Int8Activations.K_ORDER; }

        @Override
        public void run(int start, int end) {
            MemorySegment w = packed;
            Int8Activations a = acts;
            float[] y = this.y;
            int runs = cols / 256, yo = yOff;
            for (int r = start; r < end; r++) y[yo + r] = dot(w, rowBytes * r, a, 0, runs);
        }
    }
}
