package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;

import static dev.vera4j.simd.Vec.F;
import static dev.vera4j.simd.Vec.F32;
import static dev.vera4j.simd.Vec.L;
import static dev.vera4j.simd.Vec.LE;

/**
 * RMS normalisation as ggml computes it: {@code out = x / sqrt(mean(x²) + eps) ⊙ weight}; the mean of squares is
 * accumulated in double (as ggml does), the rest in float.
 *
 * <pre>{@code
 * Norms.rmsNorm(xb, 0, x, 0, file.tensor("blk.0.attn_norm.weight").data(), dim, 1e-5f);
 * }</pre>
 */
public final class Norms {
    private Norms() {}

    /** With the weight as F32 values in a (mapped) segment, starting at byte 0. */
    public static void rmsNorm(float[] out, int outOff, float[] x, int xOff, MemorySegment weight, int n, float eps) {
        if (weight.byteSize() < 4L * n) throw new IllegalArgumentException("norm weight holds " + weight.byteSize() / 4 + " floats, need " + n);
        float s = scale(x, xOff, n, eps);
        int i = 0;
        for (int u = F.loopBound(n); i < u; i += F.length()) {
            FloatVector.fromArray(F, x, xOff + i).mul(s).mul(FloatVector.fromMemorySegment(F, weight, 4L * i, LE)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) out[outOff + i] = x[xOff + i] * s * weight.get(F32, 4L * i);
    }

    /** With the weight in a float array at {@code wOff}. */
    public static void rmsNorm(float[] out, int outOff, float[] x, int xOff, float[] weight, int wOff, int n, float eps) {
        float s = scale(x, xOff, n, eps);
        int i = 0;
        for (int u = F.loopBound(n); i < u; i += F.length()) {
            FloatVector.fromArray(F, x, xOff + i).mul(s).mul(FloatVector.fromArray(F, weight, wOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) out[outOff + i] = x[xOff + i] * s * weight[wOff + i];
    }

    /** {@code 1 / sqrt(mean(x²) + eps)}: squares summed in float vectors per chunk of 64 values, chunks in double. */
    static float scale(float[] x, int off, int n, float eps) {
        double sum = 0;
        int i = 0;
        int l = F.length();
        for (; i + 4 * l <= n; i += 4 * l) {
            FloatVector a = FloatVector.fromArray(F, x, off + i), b = FloatVector.fromArray(F, x, off + i + l);
            FloatVector c = FloatVector.fromArray(F, x, off + i + 2 * l), d = FloatVector.fromArray(F, x, off + i + 3 * l);
            FloatVector v = a.mul(a).add(b.mul(b)).add(c.mul(c).add(d.mul(d)));
            // Sums.ordered(v), written out (a vector passed to a call C2 does not inline is boxed)
            if (L >= 16) v = v.add(v.rearrange(Sums.X8));
            if (L >= 8) v = v.add(v.rearrange(Sums.X4));
            v = v.add(v.rearrange(Sums.X2));
            sum += v.add(v.rearrange(Sums.X1)).lane(0);
        }
        for (; i < n; i++) sum += (double) x[off + i] * x[off + i];
        return (float) (1.0 / Math.sqrt((float) (sum / n) + eps));
    }

    /** Scalar reference: everything in double, rounded once. */
    public static void rmsNormReference(float[] out, int outOff, float[] x, int xOff, float[] weight, int wOff, int n, float eps) {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += (double) x[xOff + i] * x[xOff + i];
        double s = 1.0 / Math.sqrt(sum / n + eps);
        for (int i = 0; i < n; i++) out[outOff + i] = (float) (x[xOff + i] * s * weight[wOff + i]);
    }
}
