package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** Reductions shared by the kernels. */
final class Vec4 {
    private Vec4() {}

    static float sum(FloatVector a, FloatVector b) {
        return a.add(b).reduceLanes(VectorOperators.ADD);
    }

    static float sum(FloatVector a, FloatVector b, FloatVector c, FloatVector d) {
        return a.add(b).add(c.add(d)).reduceLanes(VectorOperators.ADD);
    }

    /** Writes (or with {@code add}, adds) four token results {@code ys} apart. */
    static void store(float[] y, int yo, int ys, boolean add, float s0, float s1, float s2, float s3) {
        if (add) {
            y[yo] += s0;
            y[yo + ys] += s1;
            y[yo + 2 * ys] += s2;
            y[yo + 3 * ys] += s3;
        } else {
            y[yo] = s0;
            y[yo + ys] = s1;
            y[yo + 2 * ys] = s2;
            y[yo + 3 * ys] = s3;
        }
    }
}
