package dev.vera4j.vera;

import dev.vera4j.simd.Sums;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two float kernels VeRA needs, with the Vector API: a dot product (each row of {@code A·x} and {@code B·h}) and
 * {@code y += α·x} (a column of {@code B_l·h}, a row of {@code ΔW} when merging). {@link VeraDelta} is the scalar reference they are tested against.
 *
 * <pre>{@code
 * float s = VeraKernels.dot(a, row * stride, x, 0, in);
 * VeraKernels.axpy(0.5f, aRow, 0, w, 0, in);            // w += 0.5 * aRow
 * }</pre>
 */
public final class VeraKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = S.length();

    private VeraKernels() {}

    /** {@code Σ a[aOff+j]·b[bOff+j]} for {@code j < n}, accumulated in float lanes with fused multiply-adds. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int step = S.length(), j = 0;
        FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
        for (int bound = n - 2 * step; j <= bound; j += 2 * step) {
            acc0 = FloatVector.fromArray(S, a, aOff + j).fma(FloatVector.fromArray(S, b, bOff + j), acc0);
            acc1 = FloatVector.fromArray(S, a, aOff + j + step).fma(FloatVector.fromArray(S, b, bOff + j + step), acc1);
        }
        for (int bound = n - step; j <= bound; j += step) {
            acc0 = FloatVector.fromArray(S, a, aOff + j).fma(FloatVector.fromArray(S, b, bOff + j), acc0);
        }
        FloatVector v = acc0.add(acc1);
        // Sums.ordered(v), written out (a vector passed to a call C2 does not inline is boxed)
        if (LANES >= 16) v = v.add(v.rearrange(Sums.X8));
        if (LANES >= 8) v = v.add(v.rearrange(Sums.X4));
        v = v.add(v.rearrange(Sums.X2));
        float s = v.add(v.rearrange(Sums.X1)).lane(0);
        for (; j < n; j++) s = Math.fma(a[aOff + j], b[bOff + j], s);
        return s;
    }

    /** {@code y[yOff+j] += alpha·x[xOff+j]} for {@code j < n}. */
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        int step = S.length(), j = 0;
        FloatVector av = FloatVector.broadcast(S, alpha);
        for (int bound = n - step; j <= bound; j += step) {
            FloatVector.fromArray(S, x, xOff + j).fma(av, FloatVector.fromArray(S, y, yOff + j)).intoArray(y, yOff + j);
        }
        for (; j < n; j++) y[yOff + j] = Math.fma(alpha, x[xOff + j], y[yOff + j]);
    }

    /** {@code y[yOff+j] += (w·a[aOff+j])·b[bOff+j]} for {@code j < n}. */
    public static void addScaledProduct(float w, float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n) {
        int step = S.length(), j = 0;
        FloatVector wv = FloatVector.broadcast(S, w);
        for (int bound = n - step; j <= bound; j += step) {
            FloatVector p = FloatVector.fromArray(S, a, aOff + j).mul(wv);
            p.fma(FloatVector.fromArray(S, b, bOff + j), FloatVector.fromArray(S, y, yOff + j)).intoArray(y, yOff + j);
        }
        for (; j < n; j++) y[yOff + j] = Math.fma(w * a[aOff + j], b[bOff + j], y[yOff + j]);
    }
}
