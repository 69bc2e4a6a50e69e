package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Species and steps shared by the int8 kernels in 256-bit vectors ({@code *NarrowDot}), which read the GGUF rows
 * where the CPU has no 512-bit vectors (AVX2). Their shape follows from what AVX2 does well through the Vector API:
 * 16 weight bytes are widened to 16 shorts in one instruction, multiplied by 16 int8 activations kept as shorts (the
 * products of a block fit in 16 bits for every type), and the 16 short sums are folded in pairs into 8 ints, which
 * become one 8-float vector to scale by the block's weight and activation scales.
 *
 * <p>The products of two weight planes can be added in shorts before the fold (for Q8_0 at most 2·128·127 = 32,512,
 * below 2^15), which halves the folds.
 *
 * <p>The helpers the kernels call stay within 35 bytes of bytecode ({@code -XX:MaxInlineSize}): C2 inlines a method
 * that small wherever its call is not rare, and a larger one only where the profile calls its call site hot. A helper
 * left out of line boxes the vectors it takes and returns, and a box that meets a loop's accumulator is allocated on
 * every step (the odd last block of a Q4_0 or Q8_0 row is summed apart for the same reason). Past a budget of inlined
 * code ({@code -XX:DesiredMethodLimit}, counted over the Vector API's own inlined methods) C2 inlines no helper of ours
 * at all, so the kernels with the largest bodies (Q4_K, Q6_K) write the Vector API calls out instead.
 */
final class Narrow {
    private Narrow() {}

    /** Whether the 256-bit int8 kernels run: 8 float lanes (AVX2), where the 512-bit ones ({@link Int8#ENABLED}) do not. */
    static final boolean ENABLED = Vec.ENABLED && Vec.L == 8 && !Tuning.NO_INT8;

    /** The weight bytes widen with {@link Int8#nibbles} (zero-extended) and {@link Int8#signed}: 16 bytes to 16 shorts. */
    static final VectorSpecies<Short> S16 = Int8.S16;
    static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;

    /**
     * Lane 0, lane 1 to every lane, and the lanes moved down by two. The K-quant kernels form the eight sub-block
     * scales of a super-block in one vector and take two per step (scalar, per sub-block, they cost 10–15 % of the
     * Q4_K kernel's speed).
     */
    static final VectorShuffle<Float> LANE0 = VectorShuffle.fromValues(F8, 0, 0, 0, 0, 0, 0, 0, 0),
            LANE1 = VectorShuffle.fromValues(F8, 1, 1, 1, 1, 1, 1, 1, 1), NEXT2 = VectorShuffle.fromValues(F8, 2, 3, 4, 5, 6, 7, 0, 1);

    /** 16 activations (as shorts) from {@code q[i]}. */
    static ShortVector acts(short[] q, int i) {
        return ShortVector.fromArray(S16, q, i);
    }

    /** Lanes {@code 2i} and {@code 2i + 1} of {@code s} added as ints (sign-extended from 16 bits), as floats. */
    static FloatVector pairSums(ShortVector s) {
        return (FloatVector) pairInts(s.reinterpretAsInts()).convert(VectorOperators.I2F, 0);
    }

    private static IntVector pairInts(IntVector v) {
        return v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(v.lanewise(VectorOperators.ASHR, 16));
    }
}
