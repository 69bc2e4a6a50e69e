package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static dev.vera4j.simd.Vec.F;

/**
 * Element-wise operations on float arrays (Vector API, scalar tail); each has a scalar {@code *Reference} twin.
 *
 * <pre>{@code
 * Elementwise.add(residual, 0, attnOut, 0, dim);          // residual += attnOut
 * float s = Elementwise.dot(q, qOff, k, kOff, headDim);
 * Elementwise.axpy(p, v, vOff, out, outOff, headDim);     // out += p·v
 * }</pre>
 */
public final class Elementwise {
    private Elementwise() {}

    private static int bound(int n) { return F.loopBound(n); }

    /** {@code a[aOff+i] += b[bOff+i]}. */
    public static void add(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        for (int u = bound(n); i < u; i += F.length()) {
            FloatVector.fromArray(F, a, aOff + i).add(FloatVector.fromArray(F, b, bOff + i)).intoArray(a, aOff + i);
        }
        for (; i < n; i++) a[aOff + i] += b[bOff + i];
    }

    /** {@code a[aOff+i] *= b[bOff+i]}. */
    public static void mul(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        for (int u = bound(n); i < u; i += F.length()) {
            FloatVector.fromArray(F, a, aOff + i).mul(FloatVector.fromArray(F, b, bOff + i)).intoArray(a, aOff + i);
        }
        for (; i < n; i++) a[aOff + i] *= b[bOff + i];
    }

    /** {@code a[off+i] *= s}. */
    public static void scale(float[] a, int off, int n, float s) {
        int i = 0;
        for (int u = bound(n); i < u; i += F.length()) FloatVector.fromArray(F, a, off + i).mul(s).intoArray(a, off + i);
        for (; i < n; i++) a[off + i] *= s;
    }

    /** {@code Σ a[aOff+i]·b[bOff+i]} in float, with two vector accumulators. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0;
        int i = 0, l = F.length();
        for (; i + 2 * l <= n; i += 2 * l) {
            s0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), s0);
            s1 = FloatVector.fromArray(F, a, aOff + i + l).fma(FloatVector.fromArray(F, b, bOff + i + l), s1);
        }
        for (; i + l <= n; i += l) s0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), s0);
        float s = s0.add(s1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    /** {@code y[yOff+i] += alpha·x[xOff+i]}. */
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        FloatVector a = FloatVector.broadcast(F, alpha);
        for (int u = bound(n); i < u; i += F.length()) {
            FloatVector.fromArray(F, x, xOff + i).fma(a, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
    }

    public static void addReference(float[] a, int aOff, float[] b, int bOff, int n) {
        for (int i = 0; i < n; i++) a[aOff + i] += b[bOff + i];
    }

    public static void mulReference(float[] a, int aOff, float[] b, int bOff, int n) {
        for (int i = 0; i < n; i++) a[aOff + i] *= b[bOff + i];
    }

    public static void scaleReference(float[] a, int off, int n, float s) {
        for (int i = 0; i < n; i++) a[off + i] *= s;
    }

    /** The dot product in double precision. */
    public static double dotReference(float[] a, int aOff, float[] b, int bOff, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) a[aOff + i] * b[bOff + i];
        return s;
    }

    public static void axpyReference(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] = (float) (y[yOff + i] + (double) alpha * x[xOff + i]);
    }
}
