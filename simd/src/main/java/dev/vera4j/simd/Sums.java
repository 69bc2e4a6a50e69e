package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

import static dev.vera4j.simd.Vec.F;
import static dev.vera4j.simd.Vec.L;

/**
 * Sums across the lanes of float vectors: {@link #ordered} in one fixed order, {@link #sum} as fast as the JIT allows.
 *
 * <p>{@code reduceLanes(ADD)} leaves the order unspecified, and in practice it differs by tier: interpreted and
 * C1-compiled code adds the lanes in sequence, C2 as a tree. So the same call gives different bits before and after
 * its method is compiled, and a training run resumed in a new process drifted from the uninterrupted one.
 * {@link #ordered} is a halving tree (lane {@code i} plus lane {@code i ^ 8}, then {@code i ^ 4}, {@code i ^ 2},
 * {@code i ^ 1}) written with lane-wise adds and permutes, which have one exact result in every tier. The training
 * path (the many-token products, norms, softmax, VeRA's products) sums with it; the one-token decode kernels keep
 * {@code reduceLanes}, which costs fewer instructions per row there.
 */
public final class Sums {
    /** The permutes of the halving steps. */
    public static final VectorShuffle<Float> X1 = xor(1), X2 = xor(2), X4 = xor(4), X8 = xor(8);

    private Sums() {}

    /** The permute taking lane {@code i ^ s} to lane {@code i}. */
    static VectorShuffle<Float> xor(int s) {
        return VectorShuffle.fromOp(F, i -> (i ^ s) & (L - 1));
    }

    /**
     * The sum of the lanes of {@code v} (of the kernels' species, {@code FloatVector.SPECIES_PREFERRED}) in the fixed
     * halving order above: the same bits interpreted, C1- or C2-compiled.
     *
     * <p>The kernels write these four steps out rather than call this: C2 does not always inline a call (it stops
     * inlining when a method's graph grows large, and skips callees it has already compiled on their own at call sites
     * it has seen run rarely), and a vector passed to a call that is not inlined is boxed, an allocation per call.
     */
    public static float ordered(FloatVector v) {
        if (L >= 16) v = v.add(v.rearrange(X8));
        if (L >= 8) v = v.add(v.rearrange(X4));
        v = v.add(v.rearrange(X2));
        return v.add(v.rearrange(X1)).lane(0);
    }

    /** Scalar reference of {@link #ordered} over {@code lanes} (a power of two) values from {@code a[off]}. */
    public static float orderedReference(float[] a, int off, int lanes) {
        float[] t = java.util.Arrays.copyOfRange(a, off, off + lanes);
        for (int s = lanes / 2; s >= 1; s /= 2) for (int i = 0; i < s; i++) t[i] = t[i] + t[i + s];
        return t[0];
    }

    /** {@code Σ lanes(a + b)} by {@code reduceLanes}: the last bit may depend on the JIT tier. */
    static float sum(FloatVector a, FloatVector b) {
        return a.add(b).reduceLanes(VectorOperators.ADD);
    }

    /** {@code Σ lanes(a + b + c + d)} by {@code reduceLanes}: the last bit may depend on the JIT tier. */
    static float sum(FloatVector a, FloatVector b, FloatVector c, FloatVector d) {
        return a.add(b).add(c.add(d)).reduceLanes(VectorOperators.ADD);
    }
}
