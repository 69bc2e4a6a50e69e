package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.vera4j.simd.Vec.F;
import static dev.vera4j.simd.Vec.L;
import static dev.vera4j.simd.Vec.bytesU;
import static dev.vera4j.simd.Vec.f16;
import static dev.vera4j.simd.Vec.toFloat;

/**
 * Row dot products for Q4_K weights: super-blocks of 256 values in 144 bytes (fp16 d, fp16 dmin, 12 bytes packing
 * eight 6-bit scales and mins, 128 bytes of nibbles; sub-block j of 32 values is {@code d·sc_j·q − dmin·m_j}; per 64
 * values 32 bytes hold the first sub-block in low nibbles and the second in high nibbles). The scales are unpacked
 * four at a time from 32-bit words; nibbles widen to floats and become weights by one FMA each.
 */
final class Q4KDot {
    private Q4KDot() {}

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(Vec.LE);

    /** Scales of sub-blocks 0–3 (byte k = sub-block k), from the 12 scale bytes at {@code sc}. */
    static int scalesLo(MemorySegment w, long sc) { return w.get(I32, sc) & 0x3f3f3f3f; }

    /** Mins of sub-blocks 0–3. */
    static int minsLo(MemorySegment w, long sc) { return w.get(I32, sc + 4) & 0x3f3f3f3f; }

    /** Scales of sub-blocks 4–7: low four bits from bytes 8–11, high two bits from the top of bytes 0–3. */
    static int scalesHi(MemorySegment w, long sc) {
        return (w.get(I32, sc + 8) & 0x0f0f0f0f) | ((w.get(I32, sc) >>> 2) & 0x30303030);
    }

    /** Mins of sub-blocks 4–7: low four bits from the high nibbles of bytes 8–11, high two bits from bytes 4–7. */
    static int minsHi(MemorySegment w, long sc) {
        return ((w.get(I32, sc + 8) >>> 4) & 0x0f0f0f0f) | ((w.get(I32, sc + 4) >>> 2) & 0x30303030);
    }

    private static int byteOf(int word, int k) { return (word >>> (8 * k)) & 0xff; }

    static float dot(MemorySegment w, long off, float[] x, int xo, int cols) {
        int nb = cols / 256;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < nb; b++) {
            long p = off + 144L * b;
            float d = f16(w, p), dmin = f16(w, p + 2);
            int sLo = scalesLo(w, p + 4), sHi = scalesHi(w, p + 4), mLo = minsLo(w, p + 4), mHi = minsHi(w, p + 4);
            for (int j = 0; j < 8; j += 2) {
                int sw = j < 4 ? sLo : sHi, mw = j < 4 ? mLo : mHi, k = j & 3;
                FloatVector dsA = FloatVector.broadcast(F, d * byteOf(sw, k)), mA = FloatVector.broadcast(F, -dmin * byteOf(mw, k));
                FloatVector dsB = FloatVector.broadcast(F, d * byteOf(sw, k + 1)), mB = FloatVector.broadcast(F, -dmin * byteOf(mw, k + 1));
                long qs = p + 16 + 16L * j;
                int xi = xo + 256 * b + 32 * j;
                for (int c = 0; c < 32; c += 2 * L) {
                    IntVector q = bytesU(w, qs + c), r = bytesU(w, qs + c + L);
                    a0 = toFloat(q.and(15)).fma(dsA, mA).fma(FloatVector.fromArray(F, x, xi + c), a0);
                    a1 = toFloat(q.lanewise(VectorOperators.LSHR, 4)).fma(dsB, mB).fma(FloatVector.fromArray(F, x, xi + 32 + c), a1);
                    a2 = toFloat(r.and(15)).fma(dsA, mA).fma(FloatVector.fromArray(F, x, xi + c + L), a2);
                    a3 = toFloat(r.lanewise(VectorOperators.LSHR, 4)).fma(dsB, mB).fma(FloatVector.fromArray(F, x, xi + 32 + c + L), a3);
                }
            }
        }
        return Vec4.sum(a0, a1, a2, a3);
    }

    static void dot4(MemorySegment w, long off, float[] x, int xo, int cols, float[] y, int yo, int ys) {
        int nb = cols / 256;
        int x1 = xo + cols, x2 = x1 + cols, x3 = x2 + cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int b = 0; b < nb; b++) {
            long p = off + 144L * b;
            float d = f16(w, p), dmin = f16(w, p + 2);
            int sLo = scalesLo(w, p + 4), sHi = scalesHi(w, p + 4), mLo = minsLo(w, p + 4), mHi = minsHi(w, p + 4);
            for (int j = 0; j < 8; j += 2) {
                int sw = j < 4 ? sLo : sHi, mw = j < 4 ? mLo : mHi, k = j & 3;
                FloatVector dsA = FloatVector.broadcast(F, d * byteOf(sw, k)), mA = FloatVector.broadcast(F, -dmin * byteOf(mw, k));
                FloatVector dsB = FloatVector.broadcast(F, d * byteOf(sw, k + 1)), mB = FloatVector.broadcast(F, -dmin * byteOf(mw, k + 1));
                long qs = p + 16 + 16L * j;
                int i0 = 256 * b + 32 * j;
                for (int c = 0; c < 32; c += L) {
                    IntVector q = bytesU(w, qs + c);
                    FloatVector v = toFloat(q.and(15)).fma(dsA, mA);
                    FloatVector u = toFloat(q.lanewise(VectorOperators.LSHR, 4)).fma(dsB, mB);
                    int i = i0 + c;
                    a0 = v.fma(FloatVector.fromArray(F, x, xo + i), a0);
                    a1 = v.fma(FloatVector.fromArray(F, x, x1 + i), a1);
                    a2 = v.fma(FloatVector.fromArray(F, x, x2 + i), a2);
                    a3 = v.fma(FloatVector.fromArray(F, x, x3 + i), a3);
                    b0 = u.fma(FloatVector.fromArray(F, x, xo + i + 32), b0);
                    b1 = u.fma(FloatVector.fromArray(F, x, x1 + i + 32), b1);
                    b2 = u.fma(FloatVector.fromArray(F, x, x2 + i + 32), b2);
                    b3 = u.fma(FloatVector.fromArray(F, x, x3 + i + 32), b3);
                }
            }
        }
        y[yo] = Vec4.sum(a0, b0);
        y[yo + ys] = Vec4.sum(a1, b1);
        y[yo + 2 * ys] = Vec4.sum(a2, b2);
        y[yo + 3 * ys] = Vec4.sum(a3, b3);
    }
}
