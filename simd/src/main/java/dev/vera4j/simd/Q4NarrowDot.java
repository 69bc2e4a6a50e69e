package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static dev.vera4j.simd.Narrow.F8;
import static dev.vera4j.simd.Narrow.acts;
import static dev.vera4j.simd.Narrow.pairSums;
import static dev.vera4j.simd.Int8.nibbles;
import static dev.vera4j.simd.Vec.f16;

/**
 * Q4_0 rows against int8 activations in 256-bit vectors ({@link Narrow}): per block the 16 quant bytes widen to
 * shorts, both nibble planes less 8 meet their 16 activations and are added in shorts (at most 2·8·127), folded to
 * 8 floats and scaled by {@code d_w·d_x}. Taking the offset 8 out in the vector costs less than a per-block scalar
 * correction. Two blocks per step, in two accumulators: a larger body exceeds C2's node budget for inlining and boxes
 * the vectors. The scalar reference is {@link Q4IntDot#dotReference}.
 */
final class Q4NarrowDot {
    private Q4NarrowDot() {}

    static float dot(MemorySegment w, long off, Int8Activations a, int bo, int nb) {
        short[] q = a.q;
        float[] d = a.d;
        FloatVector a0 = FloatVector.zero(F8), a1 = a0;
        int b = 0;
        for (; b + 2 <= nb; b += 2) {
            long p = off + 18L * b;
            int qi = 32 * (bo + b);
            ShortVector w0 = nibbles(w, p + 2), w1 = nibbles(w, p + 20);
            ShortVector s0 = w0.and((short) 15).sub((short) 8).mul(acts(q, qi)).add(w0.lanewise(VectorOperators.LSHR, 4).sub((short) 8).mul(acts(q, qi + 16)));
            ShortVector s1 = w1.and((short) 15).sub((short) 8).mul(acts(q, qi + 32)).add(w1.lanewise(VectorOperators.LSHR, 4).sub((short) 8).mul(acts(q, qi + 48)));
            a0 = pairSums(s0).fma(FloatVector.broadcast(F8, f16(w, p) * d[bo + b]), a0);
            a1 = pairSums(s1).fma(FloatVector.broadcast(F8, f16(w, p + 18) * d[bo + b + 1]), a1);
        }
        // the odd last block is summed apart: where this path is cold, C2 may leave its helpers out of line and box
        // their vectors, and a box that met the accumulators would be allocated on every step of the loop (a call
        // to a method of its own instead halves the speed where the kernel is inlined into its caller's row loop)
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        if (b < nb) {
            long p = off + 18L * b;
            int qi = 32 * (bo + b);
            ShortVector w0 = nibbles(w, p + 2);
            ShortVector s0 = w0.and((short) 15).sub((short) 8).mul(acts(q, qi)).add(w0.lanewise(VectorOperators.LSHR, 4).sub((short) 8).mul(acts(q, qi + 16)));
            s += pairSums(s0).mul(FloatVector.broadcast(F8, f16(w, p) * d[bo + b])).reduceLanes(VectorOperators.ADD);
        }
        return s;
    }
}
