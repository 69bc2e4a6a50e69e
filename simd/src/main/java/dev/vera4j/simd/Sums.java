package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** Reductions shared by the kernels. */
final class Sums {
    private Sums() {}

    static float sum(FloatVector a, FloatVector b) {
        return a.add(b).reduceLanes(VectorOperators.ADD);
    }

    static float sum(FloatVector a, FloatVector b, FloatVector c, FloatVector d) {
        return a.add(b).add(c.add(d)).reduceLanes(VectorOperators.ADD);
    }
}
