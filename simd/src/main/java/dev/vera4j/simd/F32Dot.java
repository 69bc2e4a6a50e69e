package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static dev.vera4j.simd.Vec.F;
import static dev.vera4j.simd.Vec.F32;
import static dev.vera4j.simd.Vec.L;
import static dev.vera4j.simd.Vec.LE;

/**
 * Row dot products for F32 weights (IEEE single values): widen {@link Vec#L} values to floats and FMA with the
 * activations. {@code dot} serves one token; {@code dot4} four tokens per pass, widening each weight vector once.
 * (F32Dot, F16Dot and Bf16Dot share one shape and differ only in how a vector of weights is loaded.)
 */
final class F32Dot {
    private F32Dot() {}

    static float dot(MemorySegment w, long off, float[] x, int xo, int cols) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int i = 0;
        for (; i + 2 * L <= cols; i += 2 * L) {
            a0 = FloatVector.fromMemorySegment(F, w, off + 4L * (i), LE).fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = FloatVector.fromMemorySegment(F, w, off + 4L * (i + L), LE).fma(FloatVector.fromArray(F, x, xo + i + L), a1);
        }
        float s = Sums.sum(a0, a1);
        for (; i < cols; i++) s += w.get(F32, off + 4L * (i)) * x[xo + i];
        return s;
    }

    static void dot4(MemorySegment w, long off, float[] x, int xo, int cols, float[] y, int yo, int ys) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int x1 = xo + cols, x2 = x1 + cols, x3 = x2 + cols;
        int i = 0;
        for (; i + L <= cols; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(F, w, off + 4L * (i), LE);
            a0 = v.fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = v.fma(FloatVector.fromArray(F, x, x1 + i), a1);
            a2 = v.fma(FloatVector.fromArray(F, x, x2 + i), a2);
            a3 = v.fma(FloatVector.fromArray(F, x, x3 + i), a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) {
            float v = w.get(F32, off + 4L * (i));
            s0 += v * x[xo + i];
            s1 += v * x[x1 + i];
            s2 += v * x[x2 + i];
            s3 += v * x[x3 + i];
        }
        y[yo] = s0;
        y[yo + ys] = s1;
        y[yo + 2 * ys] = s2;
        y[yo + 3 * ys] = s3;
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
