package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static dev.vera4j.simd.Vec.F;
import static dev.vera4j.simd.Vec.L;

/**
 * Dot products and {@code y += α·h} against rows of IEEE halves held in a {@code short[]} (the F16 KV cache): the
 * halves are widened exactly in registers ({@link Vec#halves(short[], int)}), so only the float summation order
 * differs from the scalar references.
 *
 * <pre>{@code
 * float score = Halves.dot(keys, pos * kvDim + headOff, q, qOff, headDim);
 * Halves.axpy(p, values, pos * kvDim + headOff, out, outOff, headDim);
 * }</pre>
 */
public final class Halves {
    private Halves() {}

    /** {@code Σ h[hOff+i]·x[xOff+i]} for {@code i < n}, in float lanes. */
    public static float dot(short[] h, int hOff, float[] x, int xOff, int n) {
        if (!Vec.ENABLED) return (float) dotReference(h, hOff, x, xOff, n);
        FloatVector s0 = FloatVector.zero(F), s1 = s0;
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            s0 = Vec.halves(h, hOff + i).fma(FloatVector.fromArray(F, x, xOff + i), s0);
            s1 = Vec.halves(h, hOff + i + L).fma(FloatVector.fromArray(F, x, xOff + i + L), s1);
        }
        for (; i + L <= n; i += L) s0 = Vec.halves(h, hOff + i).fma(FloatVector.fromArray(F, x, xOff + i), s0);
        float s = s0.add(s1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s = Math.fma(Float.float16ToFloat(h[hOff + i]), x[xOff + i], s);
        return s;
    }

    /** {@code y[yOff+i] += alpha·h[hOff+i]} for {@code i < n}. */
    public static void axpy(float alpha, short[] h, int hOff, float[] y, int yOff, int n) {
        if (!Vec.ENABLED) {
            axpyReference(alpha, h, hOff, y, yOff, n);
            return;
        }
        FloatVector a = FloatVector.broadcast(F, alpha);
        int i = 0;
        for (; i + L <= n; i += L) Vec.halves(h, hOff + i).fma(a, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        for (; i < n; i++) y[yOff + i] = Math.fma(Float.float16ToFloat(h[hOff + i]), alpha, y[yOff + i]);
    }

    /** {@code y[yOff+i] = h[hOff+i]} widened to floats (exact), for {@code i < n}. */
    public static void widen(short[] h, int hOff, float[] y, int yOff, int n) {
        int i = 0;
        if (Vec.ENABLED) for (; i + L <= n; i += L) Vec.halves(h, hOff + i).intoArray(y, yOff + i);
        for (; i < n; i++) y[yOff + i] = Float.float16ToFloat(h[hOff + i]);
    }

    /** Scalar reference of {@link #dot}, in double. */
    public static double dotReference(short[] h, int hOff, float[] x, int xOff, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) Float.float16ToFloat(h[hOff + i]) * x[xOff + i];
        return s;
    }

    /** Scalar reference of {@link #axpy}. */
    public static void axpyReference(float alpha, short[] h, int hOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] += alpha * Float.float16ToFloat(h[hOff + i]);
    }
}
