package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static dev.vera4j.simd.Vec.F;
import static dev.vera4j.simd.Vec.L;
import static dev.vera4j.simd.Vec.bytesU;
import static dev.vera4j.simd.Vec.f16;
import static dev.vera4j.simd.Vec.toFloat;

/**
 * Row dot products for Q4_0 weights (blocks of an fp16 scale d and 16 bytes: byte j holds value j in its low nibble,
 * value j + 16 in its high nibble; value = (q − 8)·d, 18 bytes per 32 values). One load of {@link Vec#L} bytes widens
 * to ints and yields both nibble planes; each plane becomes floats {@code q·d − 8d} by one FMA.
 */
final class Q4Dot {
    private Q4Dot() {}

    static float dot(MemorySegment w, long off, float[] x, int xo, int cols) {
        int nb = cols / 32;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int b = 0;
        for (; b + 2 <= nb; b += 2) {
            long p = off + 18L * b;
            int xi = xo + 32 * b;
            float d0 = f16(w, p), d1 = f16(w, p + 18);
            FloatVector dv0 = FloatVector.broadcast(F, d0), m0 = FloatVector.broadcast(F, -8 * d0);
            FloatVector dv1 = FloatVector.broadcast(F, d1), m1 = FloatVector.broadcast(F, -8 * d1);
            for (int c = 0; c < 16; c += L) {
                IntVector q0 = bytesU(w, p + 2 + c), q1 = bytesU(w, p + 20 + c);
                a0 = toFloat(q0.and(15)).fma(dv0, m0).fma(FloatVector.fromArray(F, x, xi + c), a0);
                a1 = toFloat(q0.lanewise(VectorOperators.LSHR, 4)).fma(dv0, m0).fma(FloatVector.fromArray(F, x, xi + 16 + c), a1);
                a2 = toFloat(q1.and(15)).fma(dv1, m1).fma(FloatVector.fromArray(F, x, xi + 32 + c), a2);
                a3 = toFloat(q1.lanewise(VectorOperators.LSHR, 4)).fma(dv1, m1).fma(FloatVector.fromArray(F, x, xi + 48 + c), a3);
            }
        }
        if (b < nb) {
            long p = off + 18L * b;
            int xi = xo + 32 * b;
            float d0 = f16(w, p);
            FloatVector dv0 = FloatVector.broadcast(F, d0), m0 = FloatVector.broadcast(F, -8 * d0);
            for (int c = 0; c < 16; c += L) {
                IntVector q0 = bytesU(w, p + 2 + c);
                a0 = toFloat(q0.and(15)).fma(dv0, m0).fma(FloatVector.fromArray(F, x, xi + c), a0);
                a1 = toFloat(q0.lanewise(VectorOperators.LSHR, 4)).fma(dv0, m0).fma(FloatVector.fromArray(F, x, xi + 16 + c), a1);
            }
        }
        return Sums.sum(a0, a1, a2, a3);
    }

    static void dot4(MemorySegment w, long off, float[] x, int xo, int cols, float[] y, int yo, int ys) {
        int nb = cols / 32;
        int x1 = xo + cols, x2 = x1 + cols, x3 = x2 + cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int b = 0; b < nb; b++) {
            long p = off + 18L * b;
            float d = f16(w, p);
            FloatVector dv = FloatVector.broadcast(F, d), m = FloatVector.broadcast(F, -8 * d);
            for (int c = 0; c < 16; c += L) {
                IntVector q = bytesU(w, p + 2 + c);
                FloatVector v = toFloat(q.and(15)).fma(dv, m);
                FloatVector u = toFloat(q.lanewise(VectorOperators.LSHR, 4)).fma(dv, m);
                int i = 32 * b + c;
                a0 = v.fma(FloatVector.fromArray(F, x, xo + i), a0);
                a1 = v.fma(FloatVector.fromArray(F, x, x1 + i), a1);
                a2 = v.fma(FloatVector.fromArray(F, x, x2 + i), a2);
                a3 = v.fma(FloatVector.fromArray(F, x, x3 + i), a3);
                b0 = u.fma(FloatVector.fromArray(F, x, xo + i + 16), b0);
                b1 = u.fma(FloatVector.fromArray(F, x, x1 + i + 16), b1);
                b2 = u.fma(FloatVector.fromArray(F, x, x2 + i + 16), b2);
                b3 = u.fma(FloatVector.fromArray(F, x, x3 + i + 16), b3);
            }
        }
        y[yo] = Sums.sum(a0, b0);
        y[yo + ys] = Sums.sum(a1, b1);
        y[yo + 2 * ys] = Sums.sum(a2, b2);
        y[yo + 3 * ys] = Sums.sum(a3, b3);
    }

    /** Rows {@code [start, end)} for all tokens: four tokens per pass over a row, then the rest one by one. */
    static final class Job extends RowJob {
        @Override
        public void run(int start, int end) {
            MemorySegment w = data;
            float[] x = this.x, y = this.y;
            int n = this.n, cols = this.cols, rows = this.rows, xOff = this.xOff, yOff = this.yOff;
            for (int r = start; r < end; r++) {
                long off = rowBytes * r;
                int t = 0;
                for (; t + 4 <= n; t += 4) dot4(w, off, x, xOff + t * cols, cols, y, yOff + t * rows + r, rows);
                for (; t < n; t++) y[yOff + t * rows + r] = dot(w, off, x, xOff + t * cols, cols);
            }
        }
    }
}
