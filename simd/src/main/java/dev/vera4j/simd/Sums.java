package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Horizontal sums of the kernels' float accumulators, in one place. {@code reduceLanes(ADD)} may add the lanes in any
 * order: compiled code adds them as a tree, the interpreter one by one, so a result computed before the JIT compiled
 * its kernel can differ in the last bits from the same result afterwards. Widening to double first would hide the
 * order, but C2 did not reliably compile that conversion without allocating on the decode path, so it is not done.
 */
public final class Sums {
    private Sums() {}

    /** {@code Σ v[i]} over the lanes. */
    public static float lanes(FloatVector v) {
        return v.reduceLanes(VectorOperators.ADD);
    }

    static float sum(FloatVector a, FloatVector b) {
        return lanes(a.add(b));
    }

    static float sum(FloatVector a, FloatVector b, FloatVector c, FloatVector d) {
        return lanes(a.add(b).add(c.add(d)));
    }
}
