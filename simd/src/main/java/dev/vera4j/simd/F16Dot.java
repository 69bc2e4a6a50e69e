package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static dev.vera4j.simd.Vec.F;
import static dev.vera4j.simd.Vec.F32;
import static dev.vera4j.simd.Vec.I16;
import static dev.vera4j.simd.Vec.L;
import static dev.vera4j.simd.Vec.LE;
import static dev.vera4j.simd.Vec.f16;

/**
 * Row dot products for F16 weights (IEEE half values): widen {@link Vec#L} values to floats and FMA with the
 * activations. {@code dot} serves one token; {@code dot4} four tokens per pass, widening each weight vector once.
 * (Generated from one template with the F32/F16/BF16 siblings, so that each loop is specialised to its type.)
 */
final class F16Dot {
    private F16Dot() {}

    static float dot(MemorySegment w, long off, float[] x, int xo, int cols) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + 4 * L <= cols; i += 4 * L) {
            a0 = Vec.halves(w, off + 2L * (i)).fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = Vec.halves(w, off + 2L * (i + L)).fma(FloatVector.fromArray(F, x, xo + i + L), a1);
            a2 = Vec.halves(w, off + 2L * (i + 2 * L)).fma(FloatVector.fromArray(F, x, xo + i + 2 * L), a2);
            a3 = Vec.halves(w, off + 2L * (i + 3 * L)).fma(FloatVector.fromArray(F, x, xo + i + 3 * L), a3);
        }
        for (; i + L <= cols; i += L) a0 = Vec.halves(w, off + 2L * (i)).fma(FloatVector.fromArray(F, x, xo + i), a0);
        float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) s += f16(w, off + 2L * (i)) * x[xo + i];
        return s;
    }

    static void dot4(MemorySegment w, long off, float[] x, int xo, int cols, float[] y, int yo, int ys) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int x1 = xo + cols, x2 = x1 + cols, x3 = x2 + cols;
        int i = 0;
        for (; i + 2 * L <= cols; i += 2 * L) {
            FloatVector v = Vec.halves(w, off + 2L * (i));
            a0 = v.fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = v.fma(FloatVector.fromArray(F, x, x1 + i), a1);
            a2 = v.fma(FloatVector.fromArray(F, x, x2 + i), a2);
            a3 = v.fma(FloatVector.fromArray(F, x, x3 + i), a3);
            FloatVector u = Vec.halves(w, off + 2L * (i + L));
            b0 = u.fma(FloatVector.fromArray(F, x, xo + i + L), b0);
            b1 = u.fma(FloatVector.fromArray(F, x, x1 + i + L), b1);
            b2 = u.fma(FloatVector.fromArray(F, x, x2 + i + L), b2);
            b3 = u.fma(FloatVector.fromArray(F, x, x3 + i + L), b3);
        }
        for (; i + L <= cols; i += L) {
            FloatVector v = Vec.halves(w, off + 2L * (i));
            a0 = v.fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = v.fma(FloatVector.fromArray(F, x, x1 + i), a1);
            a2 = v.fma(FloatVector.fromArray(F, x, x2 + i), a2);
            a3 = v.fma(FloatVector.fromArray(F, x, x3 + i), a3);
        }
        float s0 = Vec4.sum(a0, b0), s1 = Vec4.sum(a1, b1), s2 = Vec4.sum(a2, b2), s3 = Vec4.sum(a3, b3);
        for (; i < cols; i++) {
            float v = f16(w, off + 2L * (i));
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
}
