package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The int8 route of Q8_0/Q4_0 decode: activation quantization against its definition, and each vector kernel against
 * its scalar reference on the same quantized activations (integer sums are exact in both, so only the float
 * accumulation of the block results differs).
 */
class Int8KernelsTest {
    @Test
    void quantizedActivationsAreRoundedBlockSteps() {
        Random rnd = new Random(5);
        float[] x = TestWeights.randomVector(3 * 32 + 5, rnd);
        for (int i = 37; i < 69; i++) x[i] = 0;   // a block of zeros (block 1 of the slice at 5)
        Int8Activations a = new Int8Activations(96);
        a.quantize(x, 5, 96);
        for (int b = 0; b < 3; b++) {
            double amax = 0;
            for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(x[5 + 32 * b + i]));
            assertEquals(amax / 127, a.d[b], 1e-7 * amax, "scale of block " + b);
            long sum = 0;
            boolean hitsMax = amax == 0;
            for (int i = 0; i < 32; i++) {
                int q = a.q[32 * b + i];
                assertTrue(q >= -127 && q <= 127, "q = " + q);
                assertEquals(Math.round(x[5 + 32 * b + i] / (amax == 0 ? 1 : amax) * 127), q, 1, "value " + i + " of block " + b);
                assertTrue(Math.abs(x[5 + 32 * b + i] - a.d[b] * q) <= a.d[b] * 0.5001 + 1e-12, "rounding error of value " + i);
                if (Math.abs(q) == 127) hitsMax = true;
                sum += q;
            }
            assertTrue(hitsMax, "the largest value of block " + b + " maps to ±127");
            assertEquals(a.d[b] * sum, a.ds[b], 1e-6 * Math.abs(a.d[b] * sum) + 1e-12);
        }
        for (int i = 32; i < 64; i++) assertEquals(0, a.q[i]);
    }

    @Test
    void vectorQuantizerMatchesScalarReference() {
        Random rnd = new Random(9);
        float[] x = TestWeights.randomVector(7 + 32 * 40, rnd);
        // a block whose step is exactly 1, with ties that round half away from zero (roundf): ±0.5, ±2.5, -126.5
        float[] ties = {127, -0.5f, 0.5f, -2.5f, 2.5f, -126.5f, 3.49f, -3.5f};
        System.arraycopy(ties, 0, x, 7 + 32, ties.length);
        for (int i = 7 + 64; i < 7 + 96; i++) x[i] = 0;
        for (int i = 7 + 96; i < 7 + 128; i++) x[i] *= 1e-30f;
        Int8Activations vec = new Int8Activations(x.length), ref = new Int8Activations(x.length);
        vec.quantize(x, 7, 32 * 40);
        ref.quantizeReference(x, 7, 32 * 40);
        assertArrayEquals(ref.q, vec.q);
        assertArrayEquals(ref.d, vec.d);
        assertArrayEquals(ref.ds, vec.ds);
        assertEquals(-1L, ref.q4.mismatch(vec.q4));
        // the 8-lane quantizer of the 256-bit kernels (AVX2), which fills the blocks only
        Int8Activations narrow = new Int8Activations(x.length);
        narrow.quantizeBlocksNarrow(x, 7, 32 * 40);
        assertArrayEquals(ref.q, narrow.q);
        assertArrayEquals(ref.d, narrow.d);
        assertArrayEquals(ref.ds, narrow.ds);
        short[] expectedTies = {127, -1, 1, -3, 3, -127, 3, -4};
        for (int i = 0; i < expectedTies.length; i++) assertEquals(expectedTies[i], ref.q[32 + i], "tie " + ties[i]);
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0"})
    void vectorKernelMatchesScalarReference(GgmlType type) {
        assumeTrue(Int8.ENABLED, "int8 kernels need 16 float lanes");
        Random rnd = new Random(11 + type.ordinal());
        try (Arena arena = Arena.ofShared()) {
            // 16-block runs (Q4_0 main loop) with and without a tail, and tails alone
            for (int nb : new int[]{1, 2, 3, 16, 17, 32, 33, 47, 64}) {
                int cols = 32 * nb;
                Weights w = TestWeights.random(type, 9, cols, rnd, arena);
                float[] x = TestWeights.randomVector(2 * cols, rnd);
                Int8Activations a = new Int8Activations(2 * cols);
                a.quantize(x, 0, 2 * cols);
                for (int r = 0; r < w.rows(); r++) {
                    for (int bo : new int[]{0, nb}) {
                        long off = w.rowBytes() * r;
                        double ref, mag;
                        float got;
                        if (type == GgmlType.Q8_0) {
                            ref = Q8IntDot.dotReference(w.data(), off, a.q, a.d, bo, nb);
                            got = Q8IntDot.dot(w.data(), off, a, bo, nb);
                        } else {
                            ref = Q4IntDot.dotReference(w.data(), off, a.q, a.d, bo, nb);
                            got = Q4IntDot.dot(w.data(), off, a, bo, nb);
                        }
                        float[] row = TestWeights.row(w, r);
                        mag = 0;
                        for (int k = 0; k < cols; k++) mag += Math.abs((double) row[k] * x[bo * 32 + k]);
                        assertEquals(ref, got, 1e-5 * mag + 1e-30, type + " nb=" + nb + " row " + r + " block offset " + bo);
                        if (type == GgmlType.Q8_0) {
                            // the two-row kernel, this row paired with a far one: each result within the same bound, and
                            // the same arithmetic as dot where both take only whole pairs and runs of 16 blocks: equal but
                            // for the final lane sum, whose order depends on the JIT tier each method has reached
                            int other = (r + 5) % w.rows();
                            float[] two = new float[2];
                            Q8IntDot.dot2(w.data(), off, w.rowBytes() * other, a, bo, nb, two, 0, 1);
                            assertEquals(ref, two[0], 1e-5 * mag + 1e-30, "dot2 nb=" + nb + " row " + r + " block offset " + bo);
                            if (nb % 16 == 0) {
                                assertEquals(got, two[0], 1e-6 * mag, "dot2 and dot, nb=" + nb);
                                float[] otherRow = TestWeights.row(w, other);
                                double mag2 = 0;
                                for (int k = 0; k < cols; k++) mag2 += Math.abs((double) otherRow[k] * x[bo * 32 + k]);
                                assertEquals(Q8IntDot.dot(w.data(), w.rowBytes() * other, a, bo, nb), two[1], 1e-6 * mag2, "dot2's second row, nb=" + nb);
                            }
                        }
                    }
                }
            }
        }
    }

    /** The largest integer sums (all nibbles 15 or 0, all activations ±127) must not wrap in the 16-bit lanes. */
    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0"})
    void extremeBlocksDoNotOverflow(GgmlType type) {
        assumeTrue(Int8.ENABLED, "int8 kernels need 16 float lanes");
        int nb = 35, cols = 32 * nb;
        try (Arena arena = Arena.ofShared()) {
            Weights w = TestWeights.random(type, 4, cols, new Random(1), arena);
            byte[] fill = {(byte) 0xff, 0, (byte) 0x7f, (byte) 0x80};   // Q4_0: nibbles 15 / 0; Q8_0: 127 / -128
            for (int r = 0; r < 4; r++) {
                for (int b = 0; b < nb; b++) {
                    long p = w.rowBytes() * r + (long) type.typeSize() * b + 2;
                    for (int j = 0; j < type.typeSize() - 2; j++) w.data().set(java.lang.foreign.ValueLayout.JAVA_BYTE, p + j, fill[r]);
                }
            }
            for (float sign : new float[]{1, -1}) {
                float[] x = new float[cols];
                java.util.Arrays.fill(x, sign);
                Int8Activations a = new Int8Activations(cols);
                a.quantize(x, 0, cols);
                for (int r = 0; r < 4; r++) {
                    long off = w.rowBytes() * r;
                    double ref = type == GgmlType.Q8_0 ? Q8IntDot.dotReference(w.data(), off, a.q, a.d, 0, nb)
                            : Q4IntDot.dotReference(w.data(), off, a.q, a.d, 0, nb);
                    float got = type == GgmlType.Q8_0 ? Q8IntDot.dot(w.data(), off, a, 0, nb) : Q4IntDot.dot(w.data(), off, a, 0, nb);
                    assertEquals(ref, got, 1e-5 * Math.abs(ref) + 1e-6, type + " fill " + fill[r] + " sign " + sign);
                }
            }
        }
    }

    /** {@code q4} holds the integers of {@code q} in the order documented on {@link Int8Activations#q4}. */
    @Test
    void q4LayoutFollowsItsDefinition() {
        Random rnd = new Random(4);
        int nb = 37;
        Int8Activations a = new Int8Activations(32 * nb);
        a.quantize(TestWeights.randomVector(32 * nb, rnd), 0, 32 * nb);
        for (int run = 0; run < nb / 16; run++) {
            for (int g = 0; g < 4; g++) {
                for (int lane = 0; lane < 32; lane++) {
                    int block = 16 * run + 4 * g + lane / 8, base = 512 * run + 128 * g + lane;
                    for (int half = 0; half < 2; half++) {
                        int lo = a.q[32 * block + 8 * half + lane % 8], hi = a.q[32 * block + 16 + 8 * half + lane % 8];
                        String at = "run " + run + " group " + g + " lane " + lane + " half " + half;
                        assertEquals((short) (-255 * lo), a.q4.get(Int8Activations.Q4, 2L * (base + 64 * half)), at);
                        assertEquals(hi - 16 * lo, a.q4.get(Int8Activations.Q4, 2L * (base + 64 * half + 32)), at);
                        // the identity the kernel relies on, for every byte value v = lo + 16·hi of the weights
                        for (int v = 0; v < 256; v += 17) {
                            short got = (short) ((short) (257 * v) * a.q4.get(Int8Activations.Q4, 2L * (base + 64 * half)) + (v >>> 4) * a.q4.get(Int8Activations.Q4, 2L * (base + 64 * half + 32)));
                            assertEquals((v & 15) * lo + (v >>> 4) * hi, got, at + " byte " + v);
                        }
                    }
                }
            }
        }
    }

    /**
     * The decode products quantize into preallocated scratch: once compiled, a call allocates nothing, for the GGUF rows
     * and for every packed layout. A kernel that calls a helper C2 does not inline boxes the vectors it passes, which
     * shows here as bytes per call.
     */
    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0"})
    void decodeAllocatesNothing(GgmlType type) {
        decodeAllocatesNothing(type, false);
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q4_K", "Q5_K", "Q6_K", "Q3_K", "Q2_K", "IQ4_XS", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL"})
    void packedDecodeAllocatesNothing(GgmlType type) {
        assumeTrue(Weights.packingEnabled(), "packing needs 512-bit int8 kernels");
        decodeAllocatesNothing(type, true);
    }

    private static void decodeAllocatesNothing(GgmlType type, boolean packed) {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        Random rnd = new Random(3);
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(1)) {
            Weights w = TestWeights.random(type, 16, 1024, rnd, arena);
            if (packed) w = w.pack(arena, pool);
            assertEquals(packed, w.packed() != null);
            assumeTrue(MatMul.int8Block(w, 1) > 0, "int8 route not taken on this hardware");
            MatMul mm = new MatMul(pool, 1024, 1);
            float[] x = TestWeights.randomVector(1024, rnd), y = new float[16];
            // C1 code and the interpreter box vectors; a per-call allocation would show in every round
            long allocated = -1;
            for (int round = 0; round < 400 && allocated != 0; round++) {   // more rounds on a loaded machine, where C2 is late
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 2000; i++) mm.matVec(w, x, y);
                allocated = threads.getCurrentThreadAllocatedBytes() - before;
            }
            Weights ww = w;
            assertEquals(0, allocated, () -> "bytes allocated by 2000 " + type + (packed ? " packed" : "") + " products in the steady state, at "
                    + AllocationSites.of(() -> { for (int i = 0; i < 2000; i++) mm.matVec(ww, x, y); }));
        }
    }
}
