package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import static dev.vera4j.simd.Vec.F;

/**
 * Numerically stable softmax in place: {@code x_i = exp(x_i − max) / Σ exp(x_j − max)}.
 *
 * <pre>{@code
 * Softmax.softmax(scores, 0, pos + 1);
 * }</pre>
 */
public final class Softmax {
    private Softmax() {}

    /**
     * One masked loop per pass covers every length, the tail included. With a vector loop plus a scalar tail, some runs
     * of BackwardTest (attention over a few positions) kept this method in non-intrinsified Vector API code that
     * allocates (seen with JFR), two runs in three; with the masked loop none has since.
     */
    public static void softmax(float[] x, int off, int n) {
        if (n <= 0) return;
        int l = F.length();
        FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < n; i += l) {
            VectorMask<Float> in = F.indexInRange(i, n);
            m = m.max(FloatVector.fromArray(F, x, off + i, in).blend(Float.NEGATIVE_INFINITY, in.not()));
        }
        float max = m.reduceLanes(VectorOperators.MAX);
        Elementwise.scale(x, off, n, 1 / Exp.expShifted(x, off, n, max));
    }

    /** Scalar reference in double. */
    public static void softmaxReference(float[] x, int off, int n) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        double[] e = new double[n];
        for (int i = 0; i < n; i++) sum += e[i] = Math.exp(x[off + i] - max);
        for (int i = 0; i < n; i++) x[off + i] = (float) (e[i] / sum);
    }
}
