package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The packed layouts' kernels for the few tokens of a batched decode step ({@link PackedLayout#newTokensJob}): per
 * token the one-token kernel's result (to float rounding) and the scalar int8 references' (the integer sums are exact),
 * for n = 2..16, rows with extreme block scales and activations with an outlier; and no allocation in the steady state.
 */
class PackedTokensTest {
    private static final WorkerPool POOL = new WorkerPool(2);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Largest finite of both signs, subnormals, zeros, 1 and −0.5 (fp16). */
    private static final short[] EXTREME_SCALES = {0x7bff, (short) 0xfbff, 0x0001, (short) 0x8001, 0x03ff, 0, (short) 0x8000, 0x3c00, (short) 0xb800};

    @AfterAll
    static void closePool() { POOL.close(); }

    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q6_K", "Q4_K", "Q5_K", "Q3_K", "Q2_K", "IQ4_XS", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL"})
    void everyTokenMatchesTheOneTokenKernelAndTheScalarReference(GgmlType type) {
        assumeTrue(Weights.packingEnabled(), "the packed kernels need 512-bit vectors");
        Random rnd = new Random(11 + type.ordinal());
        int rows = 48, cols = 768, maxTokens = KernelTable.layout(type).maxTokens();   // the products MatMul sends to the tokens kernel
        try (Arena arena = Arena.ofShared()) {
            Weights w = withExtremeScales(TestWeights.random(type, rows, cols, rnd, arena));
            Weights p = w.pack(arena, POOL);
            assertNotNull(p.packed());
            MatMul mm = new MatMul(POOL, cols, maxTokens), oneSequence = new MatMul(POOL, cols, maxTokens);
            mm.severalSequences(true);
            float[][] gguf = new float[rows][];
            for (int r = 0; r < rows; r++) gguf[r] = TestWeights.row(w, r);
            for (int n = 2; n <= maxTokens; n++) {
                assertEquals(type == GgmlType.Q4_0 ? 32 : 256, MatMul.int8Block(p, n, true), "the int8 route for " + n + " tokens");
                float[] x = TestWeights.randomVector(n * cols, rnd);
                x[cols * (n - 1) + 5] = 40;   // an outlier, as real activations have
                float[] y = new float[n * rows], one = new float[rows], xt = new float[cols], prompt = new float[n * rows];
                mm.matMul(p, x, y, n);
                oneSequence.matMul(p, x, prompt, n);   // the one-token kernel per token, or the panel GEMM
                int block = MatMul.int8Block(p, n);
                for (int t = 0; t < n; t++) {
                    System.arraycopy(x, t * cols, xt, 0, cols);
                    mm.matVec(p, xt, one);
                    Int8Activations a = new Int8Activations(cols);
                    a.quantize(xt, 0, cols);
                    for (int r = 0; r < rows; r++) {
                        double mag = 0, floats = 0;
                        for (int k = 0; k < cols; k++) {
                            mag += Math.abs((double) gguf[r][k] * xt[k]);
                            floats += (double) gguf[r][k] * xt[k];
                        }
                        double ref = type == GgmlType.Q4_0
                                ? Q4IntDot.dotReference(w.data(), w.rowBytes() * r, a.q, a.d, 0, cols / 32)
                                : ((RunLayout) KernelTable.layout(type)).dotReference(w.data(), w.rowBytes() * r, a, 0, cols / 256, false);
                        String what = type + " n=" + n + " token " + t + " row " + r;
                        float got = y[t * rows + r];
                        assertTrue(Math.abs(got - one[r]) <= 1e-6 * mag + 1e-30, what + ": " + got + ", one token " + one[r]);
                        assertTrue(Math.abs(got - ref) <= 1e-5 * mag + 1e-30, what + ": " + got + ", reference " + ref);
                        // one sequence's tokens: int8 as here (the same values), or floats through the panel GEMM
                        float p1 = prompt[t * rows + r];
                        if (block > 0) assertTrue(Math.abs(p1 - got) <= 1e-6 * mag + 1e-30, what + ", one sequence: " + p1 + ", several " + got);
                        else assertTrue(Math.abs(p1 - floats) <= 1e-5 * mag + 1e-30, what + ", one sequence (floats): " + p1 + ", exact " + floats);
                    }
                }
            }
        }
    }

    /** Products of 2 to the layout's {@code maxTokens()} tokens take the tokens kernel, and more (or without a copy) something else. */
    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q6_K", "Q4_K", "Q5_K", "IQ4_XS", "Q3_K", "Q2_K"})
    void theTokensKernelTakesProductsOfAFewTokensOfPackedCopies(GgmlType type) {
        assumeTrue(Weights.packingEnabled(), "the packed kernels need 512-bit vectors");
        try (Arena arena = Arena.ofShared()) {
            Weights w = TestWeights.random(type, 16, 256, new Random(3), arena);
            Weights p = w.pack(arena, POOL);
            PackedLayout layout = KernelTable.layout(type);
            int most = layout.maxTokens();
            assertEquals(type == GgmlType.Q3_K || type == GgmlType.Q2_K ? Tuning.RUN_INT8_MAX_TOKENS : Tuning.INT8_MAX_TOKENS, most);
            assertTrue(MatMul.int8Block(p, 2, true) > 0 && MatMul.int8Block(p, most, true) > 0);
            assertEquals(0, MatMul.int8Block(p, most + 1, true));
            assertEquals(0, MatMul.int8Block(w, 2, true));
            // one sequence's prompt: the layouts with a kernel of their own for several tokens keep to the one-token
            // kernel, up to runInt8MaxTokens
            assertEquals(type != GgmlType.Q4_0 && type != GgmlType.Q2_K, layout.tokensKernel());
            int prompt = layout.tokensKernel() ? Tuning.RUN_INT8_MAX_TOKENS : most;
            assertTrue(MatMul.int8Block(p, prompt) > 0);
            assertEquals(0, MatMul.int8Block(p, prompt + 1));
            assertSame(KernelTable.layout(type), KernelTable.of(type).layout());
            assertNotNull(KernelTable.of(type).packedTokens());
        }
    }

    /** Hot loops allocate nothing: 4 tokens (the tokens kernel) and 16 (the panel GEMM) over a packed copy, in the steady state. */
    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q6_K", "Q4_K", "Q5_K", "Q3_K", "Q2_K", "IQ4_XS", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL"})
    void tokensProductsAllocateNothing(GgmlType type) {
        assumeTrue(Weights.packingEnabled(), "packing needs 512-bit int8 kernels");
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        Random rnd = new Random(3);
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(1)) {
            Weights w = TestWeights.random(type, 16, 1024, rnd, arena).pack(arena, pool);
            assertNotNull(w.packed());
            MatMul mm = new MatMul(pool, 1024, 16);
            mm.severalSequences(true);   // the tokens kernel (RunLayout.dots where a layout has one)
            float[] x = TestWeights.randomVector(16 * 1024, rnd), y = new float[16 * 16];
            for (int n : new int[]{4, 16}) {
                long allocated = -1;
                for (int round = 0; round < 400 && allocated != 0; round++) {   // more rounds on a loaded machine, where C2 is late
                    long before = threads.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < 500; i++) mm.matMul(w, x, y, n);
                    allocated = threads.getCurrentThreadAllocatedBytes() - before;
                }
                assertEquals(0, allocated, "bytes allocated by 500 " + type + " products of " + n + " tokens in the steady state");
            }
        }
    }

    /** Every other row gets an extreme scale in each of its blocks (Q4_0: finite ones only, else it is not regrouped). */
    private static Weights withExtremeScales(Weights w) {
        GgmlType type = w.type();
        int perRun = type == GgmlType.Q4_0 ? 1 : 256 / type.blockSize(), blocks = w.cols() / (type == GgmlType.Q4_0 ? 32 : 256), s = 0;
        for (int r = 0; r < w.rows(); r += 2) {
            for (int b = 0; b < blocks; b++) {
                for (int off : TestWeights.scaleOffsets(type)) {
                    w.data().set(I16, w.rowBytes() * r + (long) type.typeSize() * b * perRun + off, EXTREME_SCALES[s++ % EXTREME_SCALES.length]);
                }
            }
        }
        return w;
    }
}
