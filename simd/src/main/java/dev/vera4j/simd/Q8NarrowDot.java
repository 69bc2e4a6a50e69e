package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static dev.vera4j.simd.Narrow.F8;
import static dev.vera4j.simd.Narrow.acts;
import static dev.vera4j.simd.Narrow.pairSums;
import static dev.vera4j.simd.Int8.signed;
import static dev.vera4j.simd.Vec.f16;

/**
 * Q8_0 rows against int8 activations in 256-bit vectors ({@link Narrow}): per block both 16-byte halves widen to
 * shorts and their products with the activations are added in shorts (at most 2·128·127 = 32,512), folded to 8
 * floats and scaled by {@code d_w·d_x}. Two blocks per step, in two accumulators. The scalar reference is
 * {@link Q8IntDot#dotReference}.
 */
final class Q8NarrowDot {
    private Q8NarrowDot() {}

    static float dot(MemorySegment w, long off, Int8Activations a, int bo, int nb) {
        short[] q = a.q;
        float[] d = a.d;
        FloatVector a0 = FloatVector.zero(F8), a1 = a0;
        int b = 0;
        for (; b + 2 <= nb; b += 2) {
            long p = off + 34L * b;
            int qi = 32 * (bo + b);
            ShortVector s0 = signed(w, p + 2).mul(acts(q, qi)).add(signed(w, p + 18).mul(acts(q, qi + 16)));
            ShortVector s1 = signed(w, p + 36).mul(acts(q, qi + 32)).add(signed(w, p + 52).mul(acts(q, qi + 48)));
            a0 = pairSums(s0).fma(FloatVector.broadcast(F8, f16(w, p) * d[bo + b]), a0);
            a1 = pairSums(s1).fma(FloatVector.broadcast(F8, f16(w, p + 34) * d[bo + b + 1]), a1);
        }
        // the odd last block is summed apart: where this path is cold, C2 may leave its helpers out of line and box
        // their vectors, and a box that met the accumulators would be allocated on every step of the loop (a call
        // to a method of its own instead halves the speed where the kernel is inlined into its caller's row loop)
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        if (b < nb) {
            long p = off + 34L * b;
            int qi = 32 * (bo + b);
            ShortVector s0 = signed(w, p + 2).mul(acts(q, qi)).add(signed(w, p + 18).mul(acts(q, qi + 16)));
            s += pairSums(s0).mul(FloatVector.broadcast(F8, f16(w, p) * d[bo + b])).reduceLanes(VectorOperators.ADD);
        }
        return s;
    }
}
