package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Q4_0 rows regrouped by 16 ({@link Q4Interleaved}): the layout, the kernel against its references, and when it applies. */
class Q4InterleavedTest {
    private static final WorkerPool POOL = new WorkerPool(2);

    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    /** Every byte of every GGUF block is found where the class comment says: scale at 2r, quant byte k at 32 + 64(k/4) + 4r + k%4. */
    @Test
    void regroupedCopyHoldsTheSameBlocks() {
        Random rnd = new Random(3);
        try (Arena arena = Arena.ofShared()) {
            int rows = 32, nb = 3;
            Weights w = TestWeights.random(GgmlType.Q4_0, rows, 32 * nb, rnd, arena);
            MemorySegment c = Q4Interleaved.regroup(w, arena, POOL);
            assertEquals(w.rowBytes() * rows, c.byteSize());
            for (int row = 0; row < rows; row++) {
                for (int b = 0; b < nb; b++) {
                    long src = w.rowBytes() * row + 18L * b, p = 288L * ((long) (row / 16) * nb + b);
                    int r = row % 16;
                    assertEquals(w.data().get(I16, src), c.get(I16, p + 2L * r), "scale of row " + row + " block " + b);
                    for (int k = 0; k < 16; k++) {
                        assertEquals(w.data().get(ValueLayout.JAVA_BYTE, src + 2 + k), c.get(ValueLayout.JAVA_BYTE, p + 32 + 64L * (k / 4) + 4L * r + k % 4),
                                "quant byte " + k + " of row " + row + " block " + b);
                    }
                }
            }
        }
    }

    /** The vector coefficients equal the scalar reference's, bit for bit. */
    @Test
    void activationCoefficientsMatchScalarReference() {
        Random rnd = new Random(4);
        float[] x = TestWeights.randomVector(32 * 21, rnd);
        Int8Activations vec = new Int8Activations(x.length), ref = new Int8Activations(x.length);
        vec.quantize(x, 0, x.length);
        ref.quantizeReference(x, 0, x.length);
        assertArrayEquals(ref.interleaved, vec.interleaved);
    }

    /**
     * dot16 against the scalar reference on the regrouped copy and against {@link Q4IntDot}'s reference on the GGUF
     * rows (the integer sums are exact; only the float accumulation differs), for block counts with no 16-block
     * structure, scales of both signs, subnormal and zero.
     */
    @Test
    void kernelMatchesScalarReferences() {
        assumeTrue(Weights.packingEnabled(), "the regrouped kernel needs 512-bit vectors");
        Random rnd = new Random(5);
        try (Arena arena = Arena.ofShared()) {
            for (int nb : new int[]{1, 2, 3, 16, 17, 64, 67}) {
                int rows = 48, cols = 32 * nb;
                Weights w = TestWeights.random(GgmlType.Q4_0, rows, cols, rnd, arena);
                w.data().set(I16, 0, (short) 0x0001);                        // smallest subnormal
                w.data().set(I16, w.rowBytes() * 17, (short) 0x83ff);       // largest negative subnormal
                w.data().set(I16, w.rowBytes() * 33 + 18L * (nb - 1), (short) 0);
                Weights il = w.pack(arena, POOL);
                assertNotNull(il.packed());
                float[] x = TestWeights.randomVector(cols, rnd);
                Int8Activations a = new Int8Activations(cols);
                a.quantize(x, 0, cols);
                float[] y = new float[rows];
                for (int g = 0; g < rows / 16; g++) Q4Interleaved.dot16(il.packed(), g, nb, a, y, 16 * g);
                for (int r = 0; r < rows; r++) {
                    double ref = Q4Interleaved.dotReference(il.packed(), r, nb, a.q, a.d);
                    assertEquals(Q4IntDot.dotReference(w.data(), w.rowBytes() * r, a.q, a.d, 0, nb), ref, 1e-9 * Math.abs(ref) + 1e-30, "references, row " + r);
                    float[] row = TestWeights.row(w, r);
                    double mag = 0;
                    for (int k = 0; k < cols; k++) mag += Math.abs((double) row[k] * x[k]);
                    assertEquals(ref, y[r], 1e-5 * mag + 1e-30, "nb=" + nb + " row " + r);
                }
            }
        }
    }

    /** All nibbles 15 (or 0) against activations of ±127: the 16-bit lane sums must not wrap. */
    @Test
    void extremeBlocksDoNotOverflow() {
        assumeTrue(Weights.packingEnabled(), "the regrouped kernel needs 512-bit vectors");
        int rows = 16, nb = 5, cols = 32 * nb;
        try (Arena arena = Arena.ofShared()) {
            Weights w = TestWeights.random(GgmlType.Q4_0, rows, cols, new Random(6), arena);
            for (int r = 0; r < rows; r++) {
                for (int b = 0; b < nb; b++) {
                    long p = w.rowBytes() * r + 18L * b + 2;
                    for (int k = 0; k < 16; k++) w.data().set(ValueLayout.JAVA_BYTE, p + k, (byte) (r % 2 == 0 ? 0xff : 0));
                }
            }
            Weights il = w.pack(arena, POOL);
            for (float sign : new float[]{1, -1}) {
                float[] x = new float[cols];
                Arrays.fill(x, sign);
                Int8Activations a = new Int8Activations(cols);
                a.quantize(x, 0, cols);
                float[] y = new float[rows];
                Q4Interleaved.dot16(il.packed(), 0, nb, a, y, 0);
                for (int r = 0; r < rows; r++) {
                    double ref = Q4IntDot.dotReference(w.data(), w.rowBytes() * r, a.q, a.d, 0, nb);
                    assertEquals(ref, y[r], 1e-5 * Math.abs(ref), "row " + r + " sign " + sign);
                }
            }
        }
    }

    @Test
    void onlyWholeGroupsOfFiniteQ40RowsAreRegrouped() {
        assumeTrue(Weights.packingEnabled(), "the regrouped kernel needs 512-bit vectors");
        Random rnd = new Random(7);
        try (Arena arena = Arena.ofShared()) {
            Weights q8 = TestWeights.random(GgmlType.Q8_0, 16, 64, rnd, arena);
            assertSame(q8, q8.pack(arena, POOL));
            Weights ragged = TestWeights.random(GgmlType.Q4_0, 24, 64, rnd, arena);
            assertSame(ragged, ragged.pack(arena, POOL));
            for (short special : new short[]{0x7c00, (short) 0xfc00, 0x7e00}) {   // +inf, -inf, NaN
                Weights w = TestWeights.random(GgmlType.Q4_0, 32, 64, rnd, arena);
                w.data().set(I16, w.rowBytes() * 20 + 18, special);
                assertSame(w, w.pack(arena, POOL), "scale " + Integer.toHexString(special & 0xffff));
            }
            Weights ok = TestWeights.random(GgmlType.Q4_0, 32, 64, rnd, arena);
            Weights il = ok.pack(arena, POOL);
            assertNotNull(il.packed());
            assertSame(il, il.pack(arena, POOL));
        }
    }

    @Test
    void weightsRejectAnInterleavedCopyThatDoesNotFit() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment data = arena.allocate(16 * 18);
            assertThrows(IllegalArgumentException.class, () -> new Weights(data, GgmlType.Q8_0, 8, 32, data));
            assertThrows(IllegalArgumentException.class, () -> new Weights(data, GgmlType.Q4_0, 8, 32, data));
            assertThrows(IllegalArgumentException.class, () -> new Weights(data, GgmlType.Q4_0, 16, 32, arena.allocate(16)));
        }
    }

    /**
     * Through {@link MatMul} on two threads: one-token products of regrouped weights, alone and in a shared-input
     * product beside a GGUF-layout Q4_0 matrix and an F16 one, give what the GGUF-layout kernels give (within the
     * float accumulation difference); several tokens still go through the other kernels.
     */
    @Test
    void matMulUsesTheRegroupedCopy() {
        assumeTrue(Weights.packingEnabled(), "the regrouped kernel needs 512-bit vectors");
        Random rnd = new Random(8);
        int cols = 32 * 40;
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            Weights a = TestWeights.random(GgmlType.Q4_0, 160, cols, rnd, arena), b = TestWeights.random(GgmlType.Q4_0, 40, cols, rnd, arena);
            Weights c = TestWeights.random(GgmlType.F16, 24, cols, rnd, arena);
            Weights ai = a.pack(arena, POOL);
            float[] x = TestWeights.randomVector(2 * cols, rnd);
            MatMul mm = new MatMul(pool, cols, 17);
            float[] want = new float[160], got = new float[160];
            mm.matVec(a, x, want);
            mm.matVec(ai, x, got);
            assertClose(want, got, "alone");
            float[] wb = new float[40], wc = new float[24], gb = new float[40], gc = new float[24];
            Arrays.fill(got, Float.NaN);
            mm.matMul(x, 1, ai, got, b, gb, c, gc);
            mm.matVec(b, x, wb);
            mm.matVec(c, x, wc);
            assertClose(want, got, "shared input, regrouped");
            assertArrayEquals(wb, gb, "shared input, GGUF layout");
            assertArrayEquals(wc, gc, "shared input, F16");
            // a few tokens (2, 9): the copy's tokens kernel, against each token's one-token int8 product of the GGUF
            // rows; many (17): the panel GEMM over the mapping, against the copy read column by column (RowLanesJob:
            // other sums, so float rounding differs)
            float[] xs = TestWeights.randomVector(17 * cols, rnd);
            for (int n : new int[]{2, 9, 17}) {
                float[] got2 = new float[160 * n], want2 = new float[160 * n];
                mm.matMul(ai, xs, got2, n);
                if (n <= Tuning.INT8_MAX_TOKENS) {
                    for (int t = 0; t < n; t++) mm.matMul(a, xs, t * cols, want2, t * 160, 1);
                } else {
                    mm.matMul(a, xs, want2, n);
                }
                assertClose(want2, got2, n + " tokens");
            }
        }
    }

    /**
     * One to a few tokens over the copy ({@link Q4Interleaved.Job}, the kernel of a batched decode step and of a short
     * prompt), for every token count it takes, on one and two threads, against the double reference within the int8
     * rounding of the activations.
     */
    @Test
    void fewTokensOverTheCopyMatchTheReference() {
        assumeTrue(Weights.packingEnabled(), "the regrouped copy needs 512-bit vectors");
        Random rnd = new Random(13);
        int rows = 80, cols = 32 * 19;   // five groups: the threads' shares are uneven
        try (Arena arena = Arena.ofShared()) {
            for (int threads = 1; threads <= 2; threads++) {
                try (WorkerPool pool = new WorkerPool(threads)) {
                    Weights w = TestWeights.random(GgmlType.Q4_0, rows, cols, rnd, arena).pack(arena, pool);
                    assertNotNull(w.packed());
                    float[][] ref = new float[rows][];
                    for (int r = 0; r < rows; r++) ref[r] = TestWeights.row(w, r);
                    MatMul mm = new MatMul(pool, cols, Tuning.INT8_MAX_TOKENS);
                    for (int n = 1; n <= Tuning.INT8_MAX_TOKENS; n++) {
                        float[] x = TestWeights.randomVector(n * cols, rnd), y = new float[n * rows];
                        if (n == 1) mm.matVec(w, x, y);
                        else mm.matMul(w, x, y, n);
                        MatMulTest.check(ref, x, y, n, cols, MatMul.int8Block(w, n), n + " tokens, " + threads + " threads");
                    }
                }
            }
        }
    }

    /**
     * Many tokens over the copy go by pairs of row groups with rows in vector lanes ({@link RowLanesJob}): a lone last
     * group, token counts that leave a partial tile of 8 or of 4, and columns past one panel chunk, against the double
     * reference.
     */
    @Test
    void manyTokensOverTheCopyMatchTheReference() {
        assumeTrue(Weights.packingEnabled(), "the regrouped copy needs 512-bit vectors");
        Random rnd = new Random(12);
        int rows = 48, cols = RowLanesJob.KC + 512;
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(2)) {
            Weights w = TestWeights.random(GgmlType.Q4_0, rows, cols, rnd, arena).pack(arena, pool);
            assertNotNull(w.packed());
            float[][] ref = new float[rows][];
            for (int r = 0; r < rows; r++) ref[r] = TestWeights.row(w, r);
            MatMul mm = new MatMul(pool, cols, 29);
            for (int n : new int[]{Tuning.INT8_MAX_TOKENS + 1, 12, 16, 25, 29}) {   // fewer go to the tokens kernel
                float[] x = TestWeights.randomVector(n * cols, rnd), y = new float[n * rows];
                mm.matMul(w, x, y, n);
                MatMulTest.check(ref, x, y, n, cols, n + " tokens");
            }
        }
    }

    /** The GGUF bytes of each row, put back together from the copy. */
    @Test
    void gatheredRowsAreTheGgufRows() {
        Random rnd = new Random(9);
        try (Arena arena = Arena.ofShared()) {
            int rows = 32, nb = 5;
            Weights w = TestWeights.random(GgmlType.Q4_0, rows, 32 * nb, rnd, arena);
            MemorySegment copy = Q4Interleaved.regroup(w, arena, POOL), row = arena.allocate(w.rowBytes());
            for (int r = 0; r < rows; r++) {
                Q4Interleaved.gatherRow(copy, r, nb, row);
                assertEquals(-1L, row.mismatch(w.data().asSlice(w.rowBytes() * r, w.rowBytes())), "row " + r);
            }
        }
    }

    private static void assertClose(float[] want, float[] got, String what) {
        double scale = 0;
        for (float v : want) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-5 * scale, what + ", row " + i);
    }
}
