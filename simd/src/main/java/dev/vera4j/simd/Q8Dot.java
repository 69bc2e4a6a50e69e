package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;

import static dev.vera4j.simd.Vec.F;
import static dev.vera4j.simd.Vec.L;
import static dev.vera4j.simd.Vec.bytesS;
import static dev.vera4j.simd.Vec.f16;

/**
 * Row dot products for Q8_0 weights (blocks of an fp16 scale and 32 signed bytes, 34 bytes). The bytes widen to
 * floats in registers and meet the float activations in FMAs; two blocks per step keep independent accumulators in
 * flight. {@code dot4} scales each widened block once and uses it for four tokens.
 */
final class Q8Dot {
    private Q8Dot() {}

    static float dot(MemorySegment w, long off, float[] x, int xo, int cols) {
        int nb = cols / 32;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int b = 0;
        for (; b + 2 <= nb; b += 2) {
            long p = off + 34L * b;
            int xi = xo + 32 * b;
            FloatVector s0 = bytesS(w, p + 2).mul(FloatVector.fromArray(F, x, xi));
            FloatVector s1 = bytesS(w, p + 36).mul(FloatVector.fromArray(F, x, xi + 32));
            for (int c = L; c < 32; c += L) {
                s0 = bytesS(w, p + 2 + c).fma(FloatVector.fromArray(F, x, xi + c), s0);
                s1 = bytesS(w, p + 36 + c).fma(FloatVector.fromArray(F, x, xi + 32 + c), s1);
            }
            a0 = s0.fma(FloatVector.broadcast(F, f16(w, p)), a0);
            a1 = s1.fma(FloatVector.broadcast(F, f16(w, p + 34)), a1);
        }
        if (b < nb) {
            long p = off + 34L * b;
            int xi = xo + 32 * b;
            FloatVector s0 = bytesS(w, p + 2).mul(FloatVector.fromArray(F, x, xi));
            for (int c = L; c < 32; c += L) s0 = bytesS(w, p + 2 + c).fma(FloatVector.fromArray(F, x, xi + c), s0);
            a0 = s0.fma(FloatVector.broadcast(F, f16(w, p)), a0);
        }
        return Sums.sum(a0, a1);
    }

    static void dot4(MemorySegment w, long off, float[] x, int xo, int cols, float[] y, int yo, int ys) {
        int nb = cols / 32;
        int x1 = xo + cols, x2 = x1 + cols, x3 = x2 + cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int b = 0; b < nb; b++) {
            long p = off + 34L * b;
            int xi = 32 * b;
            FloatVector d = FloatVector.broadcast(F, f16(w, p));
            for (int c = 0; c < 32; c += 2 * L) {
                FloatVector v = bytesS(w, p + 2 + c).mul(d);
                FloatVector u = bytesS(w, p + 2 + c + L).mul(d);
                int i = xi + c;
                a0 = v.fma(FloatVector.fromArray(F, x, xo + i), a0);
                a1 = v.fma(FloatVector.fromArray(F, x, x1 + i), a1);
                a2 = v.fma(FloatVector.fromArray(F, x, x2 + i), a2);
                a3 = v.fma(FloatVector.fromArray(F, x, x3 + i), a3);
                b0 = u.fma(FloatVector.fromArray(F, x, xo + i + L), b0);
                b1 = u.fma(FloatVector.fromArray(F, x, x1 + i + L), b1);
                b2 = u.fma(FloatVector.fromArray(F, x, x2 + i + L), b2);
                b3 = u.fma(FloatVector.fromArray(F, x, x3 + i + L), b3);
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
