package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
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

    public static void softmax(float[] x, int off, int n) {
        if (n <= 0) return;
        int l = F.length(), u = F.loopBound(n), i = 0;
        float max = Float.NEGATIVE_INFINITY;
        if (u > 0) {
            FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (; i < u; i += l) m = m.max(FloatVector.fromArray(F, x, off + i));
            max = m.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) max = Math.max(max, x[off + i]);
        FloatVector sum = FloatVector.zero(F);
        i = 0;
        for (; i < u; i += l) {
            FloatVector e = Exp.exp(FloatVector.fromArray(F, x, off + i).sub(max));
            e.intoArray(x, off + i);
            sum = sum.add(e);
        }
        float s = Sums.lanes(sum);
        for (; i < n; i++) {
            float e = Exp.exp(x[off + i] - max);
            x[off + i] = e;
            s += e;
        }
        Elementwise.scale(x, off, n, 1 / s);
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
