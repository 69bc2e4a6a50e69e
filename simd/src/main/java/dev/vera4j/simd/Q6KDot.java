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
 * quarter k (32 values) takes its low four bits from nibble k / 2 of low-nibble bytes (k % 2)·32.., and its top two
 * bits from bit pair k of the 32 high-part bytes. The loops walk one quarter at a time so that each method stays
 * small enough for C2 to inline every vector operation.
 */
final class Q6KDot {
    private Q6KDot() {}

    /** The weight vector of {@link Vec#L} values: low bits at {@code lo} shifted by {@code s1}, high pair at {@code hi} shifted by {@code s2}. */
    private static FloatVector quarter(MemorySegment w, long lo, long hi, int s1, int s2, float scale) {
        IntVector q = bytesU(w, lo).lanewise(VectorOperators.LSHR, s1).and(15)
                .or(bytesU(w, hi).lanewise(VectorOperators.LSHR, s2).and(3).lanewise(VectorOperators.LSHL, 4));
        return toFloat(q.sub(32)).mul(scale);
    }

    private static float scale(MemorySegment w, long p, int k) {
        return w.get(ValueLayout.JAVA_BYTE, p + 192 + k);
    }

    static float dot(MemorySegment w, long off, float[] x, int xo, int cols) {
        int nb = cols / 256;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < nb; b++) {
            long p = off + 210L * b;
            float d = f16(w, p + 208);
            for (int g = 0; g < 8; g++) { // g = 4·half + quarter
                int h = g >> 2, k = g & 3;
                long lo = p + 64L * h + 32 * (k & 1), hi = p + 128 + 32L * h;
                int s1 = 4 * (k >> 1), s2 = 2 * k, xi = xo + 256 * b + 32 * g, sc = 8 * h + 2 * k;
                for (int c = 0; c < 32; c += L) {
                    // one call site keeps the method within C2's inlining budget; the branch folds once unrolled
                    FloatVector v = quarter(w, lo + c, hi + c, s1, s2, d * scale(w, p, sc + c / 16)), xv = FloatVector.fromArray(F, x, xi + c);
                    if ((c & L) == 0) a0 = v.fma(xv, a0);
                    else a1 = v.fma(xv, a1);
                }
            }
        }
        return Sums.sum(a0, a1);
    }

    static void dot4(MemorySegment w, long off, float[] x, int xo, int cols, float[] y, int yo, int ys) {
        int nb = cols / 256;
        int x1 = xo + cols, x2 = x1 + cols, x3 = x2 + cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < nb; b++) {
            long p = off + 210L * b;
            float d = f16(w, p + 208);
            for (int g = 0; g < 8; g++) {
                int h = g >> 2, k = g & 3;
                long lo = p + 64L * h + 32 * (k & 1), hi = p + 128 + 32L * h;
                int s1 = 4 * (k >> 1), s2 = 2 * k, i0 = 256 * b + 32 * g, sc = 8 * h + 2 * k;
                for (int c = 0; c < 32; c += L) {
                    FloatVector v = quarter(w, lo + c, hi + c, s1, s2, d * scale(w, p, sc + c / 16));
                    int i = i0 + c;
                    a0 = v.fma(FloatVector.fromArray(F, x, xo + i), a0);
                    a1 = v.fma(FloatVector.fromArray(F, x, x1 + i), a1);
                    a2 = v.fma(FloatVector.fromArray(F, x, x2 + i), a2);
                    a3 = v.fma(FloatVector.fromArray(F, x, x3 + i), a3);
                }
            }
        }
        y[yo] = a0.reduceLanes(VectorOperators.ADD);
        y[yo + ys] = a1.reduceLanes(VectorOperators.ADD);
        y[yo + 2 * ys] = a2.reduceLanes(VectorOperators.ADD);
        y[yo + 3 * ys] = a3.reduceLanes(VectorOperators.ADD);
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
