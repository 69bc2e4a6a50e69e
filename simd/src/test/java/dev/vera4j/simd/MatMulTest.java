package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every kernel type against the scalar reference (row dequantized by {@link Dequant}, dot in double precision).
 * The kernels accumulate in float, so they may differ by float rounding: the bound is {@code 1e-5·Σ|w_k·x_k|}, far
 * below what any wrong index, nibble or scale would cause (that error is of the order of Σ|w_k·x_k| itself).
 */
class MatMulTest {
    static final double REL = 1e-5;

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K", "Q5_K", "Q3_K", "Q2_K", "IQ4_XS", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL"})
    void matchesReferenceForAllTokenCountsAndThreadCounts(GgmlType type) {
        Random rnd = new Random(type.ordinal());
        // column counts: one and several blocks, odd block counts (the unrolled loops' remainders), and for float
        // types counts that leave a scalar tail
        int[] colsList = switch (type) {
            case F32, F16, BF16 -> new int[]{7, 32, 100, 515};
            case Q8_0, Q4_0 -> new int[]{32, 96, 544};
            case Q4_1, Q5_0, Q5_1, IQ4_NL -> new int[]{96, 256, 768};   // 96: not whole runs of 256, so not packed
            default -> new int[]{256, 768};
        };
        try (Arena arena = Arena.ofShared()) {
            for (int cols : colsList) {
                Weights w = TestWeights.random(type, 37, cols, rnd, arena);
                float[][] rows = new float[w.rows()][];
                for (int r = 0; r < w.rows(); r++) rows[r] = TestWeights.row(w, r);
                for (int threads = 1; threads <= 3; threads++) {
                    try (WorkerPool pool = new WorkerPool(threads)) {
                        MatMul mm = new MatMul(pool, cols, 9);
                        // the GGUF rows, and the packed copy where the type has a layout
                        for (Weights v : new Weights[]{w, w.pack(arena, pool)}) {
                            for (int n = 1; n <= 9; n++) {
                                float[] x = TestWeights.randomVector(n * cols, rnd);
                                float[] y = new float[n * v.rows()];
                                if (n == 1) mm.matVec(v, x, y);
                                else mm.matMul(v, x, y, n);
                                check(rows, x, y, n, cols, MatMul.int8Block(v, n), type + (v.packed() != null ? " packed" : "")
                                        + " cols=" + cols + " threads=" + threads + " n=" + n);
                            }
                        }
                    }
                }
            }
        }
    }

    /** Many tokens: the column-chunked, row-blocked path (partial sums added over chunks, tails in the last chunk). */
    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K", "Q5_K"})
    void manyTokensAcrossColumnChunks(GgmlType type) {
        Random rnd = new Random(100 + type.ordinal());
        int cols = type.blockSize() == 1 ? 1283 : 1280, n = 42;
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            Weights w = type == GgmlType.Q5_K ? quantized(type, 37, cols, rnd, arena) : TestWeights.random(type, 37, cols, rnd, arena);
            float[][] rows = new float[w.rows()][];
            for (int r = 0; r < w.rows(); r++) rows[r] = reference(w, r);
            float[] x = TestWeights.randomVector(n * cols, rnd);
            float[] y = new float[n * w.rows()];
            new MatMul(pool, cols, n).matMul(w, x, y, n);
            check(rows, x, y, n, cols, type + " n=" + n);
        }
    }

    /** A type without a vector kernel, encoded by its Codecs quantizer from random floats. */
    static Weights quantized(GgmlType type, int rows, int cols, Random rnd, Arena arena) {
        var codec = dev.vera4j.gguf.types.Codecs.of(type);
        var seg = arena.allocate(rows * type.bytesFor(cols));
        for (int r = 0; r < rows; r++) codec.quantize(TestWeights.randomVector(cols, rnd), 0, cols, seg, r * type.bytesFor(cols));
        return new Weights(seg, type, rows, cols);
    }

    static float[] reference(Weights w, int r) {
        return TestWeights.row(w, r);
    }

    static void check(float[][] rows, float[] x, float[] y, int n, int cols, String what) {
        check(rows, x, y, n, cols, 0, what);
    }

    /**
     * With {@code int8Block} of 32 or 256 the kernel quantized each block of that many activations to steps of
     * {@code max|x|/127}, so each value may be off by half a step: the bound adds {@code Σ_k |w_k|·step_k/2} (about
     * 1/254 of {@code Σ|w·x|}).
     */
    static void check(float[][] rows, float[] x, float[] y, int n, int cols, int int8Block, String what) {
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < rows.length; r++) {
                double s = 0, mag = 0, slack = 0;
                for (int k = 0; k < cols; k++) {
                    s += (double) rows[r][k] * x[t * cols + k];
                    mag += Math.abs((double) rows[r][k] * x[t * cols + k]);
                }
                if (int8Block > 0) {
                    for (int b = 0; b < cols; b += int8Block) {
                        double amax = 0, wsum = 0;
                        for (int k = b; k < Math.min(cols, b + int8Block); k++) {
                            amax = Math.max(amax, Math.abs(x[t * cols + k]));
                            wsum += Math.abs(rows[r][k]);
                        }
                        slack += wsum * amax / 254 * (1 + 1e-6);
                    }
                }
                double got = y[t * rows.length + r];
                assertTrue(Math.abs(got - s) <= REL * mag + slack + 1e-30,
                        what + " token " + t + " row " + r + ": got " + got + ", expected " + s + " (|w||x| " + mag + ")");
            }
        }
    }

    /**
     * Two or three matrices of one input as one job (q/k/v, gate/up): the same values as separate products, for mixed
     * types (int8, float and dequantize-row kernels), matrices of different heights, token counts on both sides of
     * the panel threshold and thread counts whose row chunks straddle the matrices. Equal up to float rounding, not
     * bit for bit: a kernel's {@code reduceLanes} sums in another order once C2 has compiled it.
     */
    @Test
    void sharedInputProductsEqualSeparateOnes() {
        Random rnd = new Random(11);
        int cols = 256;
        GgmlType[][] mixes = {
                {GgmlType.Q4_0, GgmlType.Q4_0, GgmlType.Q4_0}, {GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.F16},
                {GgmlType.F16, GgmlType.Q6_K, GgmlType.Q5_K}, {GgmlType.Q4_K, GgmlType.Q8_0, null}};
        try (Arena arena = Arena.ofShared()) {
            for (GgmlType[] mix : mixes) {
                Weights a = weights(mix[0], 37, cols, rnd, arena), b = weights(mix[1], 9, cols, rnd, arena);
                Weights c = mix[2] == null ? null : weights(mix[2], 20, cols, rnd, arena);
                for (int threads = 1; threads <= 3; threads++) {
                    try (WorkerPool pool = new WorkerPool(threads)) {
                        MatMul mm = new MatMul(pool, cols, 9);
                        for (int n : new int[]{1, 3, 9}) {
                            float[] x = TestWeights.randomVector(n * cols, rnd);
                            float[] ya = new float[n * 37], yb = new float[n * 9], yc = new float[n * 20];
                            mm.matMul(x, n, a, ya, b, yb, c, c == null ? null : yc);
                            String what = java.util.Arrays.toString(mix) + " threads=" + threads + " n=" + n;
                            close(separate(mm, a, x, n), ya, what + " a");
                            close(separate(mm, b, x, n), yb, what + " b");
                            if (c != null) close(separate(mm, c, x, n), yc, what + " c");
                        }
                    }
                }
            }
            Weights a = TestWeights.random(GgmlType.Q8_0, 4, 64, rnd, arena), wide = TestWeights.random(GgmlType.Q8_0, 4, 128, rnd, arena);
            try (WorkerPool pool = new WorkerPool(1)) {
                MatMul mm = new MatMul(pool, 128, 2);
                var e = assertThrows(IllegalArgumentException.class, () -> mm.matMul(new float[128], 1, a, new float[4], wide, new float[4], null, null));
                assertTrue(e.getMessage().contains("width"), e.getMessage());
                assertThrows(IllegalArgumentException.class, () -> mm.matMul(new float[64], 1, a, new float[4], a, new float[3], null, null));
            }
        }
    }

    private static void close(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], 1e-5 * Math.max(1, Math.abs(expected[i])), what + " at " + i);
    }

    private static float[] separate(MatMul mm, Weights w, float[] x, int n) {
        float[] y = new float[n * w.rows()];
        mm.matMul(w, x, y, n);
        return y;
    }

    private static Weights weights(GgmlType type, int rows, int cols, Random rnd, Arena arena) {
        return type == GgmlType.Q5_K ? quantized(type, rows, cols, rnd, arena) : TestWeights.random(type, rows, cols, rnd, arena);
    }

    @Test
    void typesWithoutAnyDecoderAreRejected() {
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(1)) {
            Weights w = new Weights(arena.allocate(GgmlType.IQ2_XXS.bytesFor(256)), GgmlType.IQ2_XXS, 1, 256);
            var e = assertThrows(UnsupportedOperationException.class, () -> new MatMul(pool, 256, 1).matVec(w, new float[256], new float[1]));
            assertTrue(e.getMessage().contains("IQ2_XXS"), e.getMessage());
        }
    }

    @Test
    void offsetsSelectTokenRows() {
        Random rnd = new Random(7);
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            Weights w = TestWeights.random(GgmlType.Q4_0, 5, 64, rnd, arena);
            float[][] rows = new float[5][];
            for (int r = 0; r < 5; r++) rows[r] = TestWeights.row(w, r);
            float[] x = TestWeights.randomVector(3 + 6 * 64, rnd);
            float[] y = new float[2 + 6 * 5];
            new MatMul(pool, 64, 8).matMul(w, x, 3, y, 2, 6);
            float[] xs = java.util.Arrays.copyOfRange(x, 3, x.length), ys = java.util.Arrays.copyOfRange(y, 2, y.length);
            check(rows, xs, ys, 6, 64, "offsets");
            assertEquals(0f, y[0]);
            assertEquals(0f, y[1]);
        }
    }

    @Test
    void rejectsBadShapesWithClearMessages() {
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(1)) {
            Weights w = TestWeights.random(GgmlType.Q8_0, 4, 64, new Random(1), arena);
            MatMul mm = new MatMul(pool, 64, 2);
            var e = assertThrows(IllegalArgumentException.class, () -> mm.matVec(w, new float[63], new float[4]));
            assertTrue(e.getMessage().contains("too short"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> mm.matVec(w, new float[64], new float[3]));
            assertThrows(IllegalArgumentException.class, () -> mm.matMul(w, new float[192], new float[12], 3));
            assertThrows(IllegalArgumentException.class, () -> new MatMul(pool, 32, 2).matVec(w, new float[64], new float[4]));
        }
    }

    /**
     * Real ggml-quantized data (quant-vectors.gguf): the product with ggml's own dequantized values. Covers the vector
     * kernels and the dequantize-row path of the other types (through {@code Codecs}).
     */
    @ParameterizedTest
    @EnumSource(names = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q5_K", "IQ4_NL", "IQ4_XS"})
    void matchesGgmlDequantizedVectors(GgmlType type) {
        Path file = Path.of(System.getProperty("vera4j.shared", "../shared")).resolve("testdata/quant/quant-vectors.gguf");
        try (GgufFile gguf = GgufFile.open(file); WorkerPool pool = new WorkerPool(2)) {
            String name = type.name().toLowerCase();
            Weights w = Weights.of(gguf.tensor(name));
            Weights expected = Weights.of(gguf.tensor(name + ".expected"));
            assertEquals(GgmlType.F32, expected.type());
            float[][] rows = new float[w.rows()][];
            for (int r = 0; r < w.rows(); r++) rows[r] = TestWeights.row(expected, r);
            Random rnd = new Random(3);
            MatMul mm = new MatMul(pool, w.cols(), 5);
            for (int n : new int[]{1, 5}) {
                float[] x = TestWeights.randomVector(n * w.cols(), rnd);
                float[] y = new float[n * w.rows()];
                mm.matMul(w, x, y, n);
                check(rows, x, y, n, w.cols(), MatMul.int8Block(w, n), type + " n=" + n);
            }
        }
    }
}
