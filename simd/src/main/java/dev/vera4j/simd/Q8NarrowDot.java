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
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        return b < nb ? s + lastBlock(w, off + 34L * b, a, bo + b) : s;
    }

    /**
     * The odd last block of a row, apart from {@link #dot}'s accumulators: where this path is cold, C2 may leave its
     * helpers out of line and box their vectors, and a box merged into the loop's accumulators would be allocated on
     * every step of the loop.
     */
    private static float lastBlock(MemorySegment w, long p, Int8Activations a, int blk) {
        int qi = 32 * blk;
        ShortVector s0 = signed(w, p + 2).mul(acts(a.q, qi)).add(signed(w, p + 18).mul(acts(a.q, qi + 16)));
        return pairSums(s0).mul(FloatVector.broadcast(F8, f16(w, p) * a.d[blk])).reduceLanes(VectorOperators.ADD);
    }
}
