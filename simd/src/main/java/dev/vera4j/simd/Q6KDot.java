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
 * Row dot products for Q6_K weights: super-blocks of 256 values in 210 bytes (128 bytes of low nibbles, 64 bytes of
 * 2-bit high parts, 16 signed scales each for 16 values, fp16 d; value = d·scale·(q − 32)). Per half of 128 values,
 * three loads of {@link Vec#L} bytes (two of low nibbles, one of high bits) assemble four vectors of 6-bit values.
 */
final class Q6KDot {
    private Q6KDot() {}

    private static float scale(MemorySegment w, long p, int k) {
        return w.get(ValueLayout.JAVA_BYTE, p + 192 + k);
    }

    static float dot(MemorySegment w, long off, float[] x, int xo, int cols) {
        int nb = cols / 256;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < nb; b++) {
            long p = off + 210L * b;
            float d = f16(w, p + 208);
            for (int h = 0; h < 2; h++) {
                long ql = p + 64L * h, qh = p + 128 + 32L * h;
                int xi = xo + 256 * b + 128 * h;
                for (int c = 0; c < 32; c += L) {
                    int k = 8 * h + c / 16;
                    IntVector lo0 = bytesU(w, ql + c), lo1 = bytesU(w, ql + 32 + c), hi = bytesU(w, qh + c);
                    IntVector q1 = lo0.and(15).or(hi.and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                    IntVector q2 = lo1.and(15).or(hi.lanewise(VectorOperators.LSHL, 2).and(0x30)).sub(32);
                    IntVector q3 = lo0.lanewise(VectorOperators.LSHR, 4).or(hi.and(0x30)).sub(32);
                    IntVector q4 = lo1.lanewise(VectorOperators.LSHR, 4).or(hi.lanewise(VectorOperators.LSHR, 2).and(0x30)).sub(32);
                    a0 = toFloat(q1).mul(d * scale(w, p, k)).fma(FloatVector.fromArray(F, x, xi + c), a0);
                    a1 = toFloat(q2).mul(d * scale(w, p, k + 2)).fma(FloatVector.fromArray(F, x, xi + 32 + c), a1);
                    a2 = toFloat(q3).mul(d * scale(w, p, k + 4)).fma(FloatVector.fromArray(F, x, xi + 64 + c), a2);
                    a3 = toFloat(q4).mul(d * scale(w, p, k + 6)).fma(FloatVector.fromArray(F, x, xi + 96 + c), a3);
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
            long p = off + 210L * b;
            float d = f16(w, p + 208);
            for (int h = 0; h < 2; h++) {
                long ql = p + 64L * h, qh = p + 128 + 32L * h;
                int xi = 256 * b + 128 * h;
                for (int c = 0; c < 32; c += L) {
                    int k = 8 * h + c / 16;
                    IntVector lo0 = bytesU(w, ql + c), lo1 = bytesU(w, ql + 32 + c), hi = bytesU(w, qh + c);
                    IntVector q1 = lo0.and(15).or(hi.and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                    IntVector q2 = lo1.and(15).or(hi.lanewise(VectorOperators.LSHL, 2).and(0x30)).sub(32);
                    IntVector q3 = lo0.lanewise(VectorOperators.LSHR, 4).or(hi.and(0x30)).sub(32);
                    IntVector q4 = lo1.lanewise(VectorOperators.LSHR, 4).or(hi.lanewise(VectorOperators.LSHR, 2).and(0x30)).sub(32);
                    FloatVector v1 = toFloat(q1).mul(d * scale(w, p, k)), v2 = toFloat(q2).mul(d * scale(w, p, k + 2));
                    FloatVector v3 = toFloat(q3).mul(d * scale(w, p, k + 4)), v4 = toFloat(q4).mul(d * scale(w, p, k + 6));
                    int i = xi + c;
                    a0 = v1.fma(FloatVector.fromArray(F, x, xo + i), a0);
                    a1 = v1.fma(FloatVector.fromArray(F, x, x1 + i), a1);
                    a2 = v1.fma(FloatVector.fromArray(F, x, x2 + i), a2);
                    a3 = v1.fma(FloatVector.fromArray(F, x, x3 + i), a3);
                    b0 = v2.fma(FloatVector.fromArray(F, x, xo + i + 32), b0);
                    b1 = v2.fma(FloatVector.fromArray(F, x, x1 + i + 32), b1);
                    b2 = v2.fma(FloatVector.fromArray(F, x, x2 + i + 32), b2);
                    b3 = v2.fma(FloatVector.fromArray(F, x, x3 + i + 32), b3);
                    a0 = v3.fma(FloatVector.fromArray(F, x, xo + i + 64), a0);
                    a1 = v3.fma(FloatVector.fromArray(F, x, x1 + i + 64), a1);
                    a2 = v3.fma(FloatVector.fromArray(F, x, x2 + i + 64), a2);
                    a3 = v3.fma(FloatVector.fromArray(F, x, x3 + i + 64), a3);
                    b0 = v4.fma(FloatVector.fromArray(F, x, xo + i + 96), b0);
                    b1 = v4.fma(FloatVector.fromArray(F, x, x1 + i + 96), b1);
                    b2 = v4.fma(FloatVector.fromArray(F, x, x2 + i + 96), b2);
                    b3 = v4.fma(FloatVector.fromArray(F, x, x3 + i + 96), b3);
                }
            }
        }
        y[yo] = Vec4.sum(a0, b0);
        y[yo + ys] = Vec4.sum(a1, b1);
        y[yo + 2 * ys] = Vec4.sum(a2, b2);
        y[yo + 3 * ys] = Vec4.sum(a3, b3);
    }
}
