package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
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
 * four at a time from 32-bit words; nibbles widen to floats and become weights by one FMA each. The loops walk one
 * sub-block at a time so that each method stays small enough for C2 to inline every vector operation.
 */
final class Q4KDot {
    private Q4KDot() {}

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(Vec.LE);

    /**
     * The eight 6-bit scales from the 12 scale bytes at {@code sc}, byte {@code j} of the long for sub-block {@code j}:
     * those of sub-blocks 0–3 are the low six bits of bytes 0–3; those of 4–7 take their low four bits from bytes 8–11
     * and their high two bits from the top of bytes 0–3. It calls no method of ours: the int8 kernels call it once per
     * super-block, and a helper it called could be left out of line (C2 judges a nested call by the profile of the
     * method it sits in, and profiles replayed from the AOT cache made it refuse them: 25 % of a Q4_K_M decode).
     */
    static long scales(MemorySegment w, long sc) {
        int lo = w.get(I32, sc), hi = w.get(I32, sc + 8);
        return (lo & 0x3f3f3f3fL) | (long) ((hi & 0x0f0f0f0f) | ((lo >>> 2) & 0x30303030)) << 32;
    }

    /** The eight 6-bit mins, as {@link #scales}: bytes 4–7, and the high nibbles of bytes 8–11 with the top of 4–7. */
    static long mins(MemorySegment w, long sc) {
        int lo = w.get(I32, sc + 4), hi = w.get(I32, sc + 8);
        return (lo & 0x3f3f3f3fL) | (long) (((hi >>> 4) & 0x0f0f0f0f) | ((lo >>> 2) & 0x30303030)) << 32;
    }

    static float dot(MemorySegment w, long off, float[] x, int xo, int cols) {
        int nb = cols / 256;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < nb; b++) {
            long p = off + 144L * b;
            float d = f16(w, p), dmin = f16(w, p + 2);
            long scales = scales(w, p + 4);
            long mins = mins(w, p + 4);
            for (int j = 0; j < 8; j++) {
                FloatVector ds = FloatVector.broadcast(F, d * ((scales >>> (8 * j)) & 0xff));
                FloatVector m = FloatVector.broadcast(F, -dmin * ((mins >>> (8 * j)) & 0xff));
                long qs = p + 16 + 32L * (j >> 1);
                int shift = 4 * (j & 1), xi = xo + 256 * b + 32 * j;
                for (int c = 0; c < 32; c += 2 * L) {
                    FloatVector v = toFloat(bytesU(w, qs + c).lanewise(VectorOperators.LSHR, shift).and(15)).fma(ds, m);
                    FloatVector u = toFloat(bytesU(w, qs + c + L).lanewise(VectorOperators.LSHR, shift).and(15)).fma(ds, m);
                    a0 = v.fma(FloatVector.fromArray(F, x, xi + c), a0);
                    a1 = u.fma(FloatVector.fromArray(F, x, xi + c + L), a1);
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
            long p = off + 144L * b;
            float d = f16(w, p), dmin = f16(w, p + 2);
            long scales = scales(w, p + 4);
            long mins = mins(w, p + 4);
            for (int j = 0; j < 8; j++) {
                FloatVector ds = FloatVector.broadcast(F, d * ((scales >>> (8 * j)) & 0xff));
                FloatVector m = FloatVector.broadcast(F, -dmin * ((mins >>> (8 * j)) & 0xff));
                long qs = p + 16 + 32L * (j >> 1);
                int shift = 4 * (j & 1), i0 = 256 * b + 32 * j;
                for (int c = 0; c < 32; c += L) {
                    FloatVector v = toFloat(bytesU(w, qs + c).lanewise(VectorOperators.LSHR, shift).and(15)).fma(ds, m);
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
