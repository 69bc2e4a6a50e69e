package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The packed 256-value layouts ({@link PackedLayout}, {@link KOrder}): each packed block holds the same bytes as the
 * GGUF block, each kernel matches its scalar reference (which reads the GGUF rows, not the packed ones) for random
 * blocks with extreme scales, and the activations' K order is filled the same way by the vector and the scalar path.
 */
class PackedKernelsTest {
    private static final WorkerPool POOL = new WorkerPool(2);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** fp16 scales a kernel must handle: the largest finite, subnormals of both signs, zeros, and ordinary ones. */
    private static final short[] EXTREME_SCALES = {0x7bff, (short) 0xfbff, 0x0001, (short) 0x8001, 0x03ff, 0, (short) 0x8000, 0x3c00, (short) 0xb800};

    @ParameterizedTest
    @EnumSource(names = {"Q6_K", "Q4_K", "Q5_K", "Q3_K", "Q2_K", "IQ4_XS", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL"})
    void packedBlocksUnpackToTheGgufBytes(GgmlType type) {
        Random rnd = new Random(1);
        try (Arena arena = Arena.ofShared()) {
            int rows = 7, cols = 3 * 256;
            Weights w = TestWeights.random(type, rows, cols, rnd, arena);
            PackedLayout layout = KernelTable.layout(type);
            MemorySegment packed = layout.pack(w, arena, POOL), row = arena.allocate(w.rowBytes());
            for (int r = 0; r < rows; r++) {
                layout.unpackRow(packed, r, cols, row);
                assertArrayEquals(w.data().asSlice(w.rowBytes() * r, w.rowBytes()).toArray(ValueLayout.JAVA_BYTE), row.toArray(ValueLayout.JAVA_BYTE), "row " + r);
            }
        }
    }

    /** Packing with vector permutes writes the same bytes as the scalar bit moves. */
    @ParameterizedTest
    @EnumSource(names = {"Q6_K", "Q4_K", "Q5_K", "Q3_K", "Q2_K", "IQ4_XS", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL"})
    void vectorPackingEqualsTheMoves(GgmlType type) {
        RunLayout layout = (RunLayout) KernelTable.layout(type);
        assumeTrue(layout.hasVectorPacking() && Int8.ENABLED, "no vector packing for " + type + " on this machine");
        Random rnd = new Random(10);
        try (Arena arena = Arena.ofShared()) {
            Weights w = TestWeights.random(type, 9, 4 * 256, rnd, arena);
            long bytes = w.rowBytes() * w.rows(), runs = bytes / layout.runBytes;
            MemorySegment scalar = arena.allocate(bytes), vector = arena.allocate(bytes);
            layout.packRuns(w.data(), 0, scalar, runs, true);
            layout.packRuns(w.data(), 0, vector, runs, false);
            assertArrayEquals(scalar.toArray(ValueLayout.JAVA_BYTE), vector.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"Q6_K", "Q4_K", "Q5_K", "Q3_K", "Q2_K", "IQ4_XS", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL"})
    void kernelMatchesScalarReference(GgmlType type) {
        assumeTrue(Int8.ENABLED, "the packed kernels need 512-bit vectors");
        Random rnd = new Random(2);
        RunLayout k = (RunLayout) KernelTable.layout(type);
        try (Arena arena = Arena.ofShared()) {
            for (int runs : new int[]{1, 2, 5, 8}) {
                int rows = 24, cols = 256 * runs;
                Weights w = TestWeights.random(type, rows, cols, rnd, arena);
                int s = 0;
                for (int r = 0; r < rows; r += 2) {   // every other row gets an extreme scale in each block
                    for (int b = 0; b < runs; b++) {
                        for (int off : TestWeights.scaleOffsets(type)) w.data().set(I16, w.rowBytes() * r + (long) type.typeSize() * b * (256 / type.blockSize()) + off, EXTREME_SCALES[s++ % EXTREME_SCALES.length]);
                    }
                }
                MemorySegment packed = KernelTable.layout(type).pack(w, arena, POOL);
                float[] x = TestWeights.randomVector(cols, rnd);
                x[3] = 40;   // an outlier, as real activations have
                Int8Activations a = new Int8Activations(cols);
                a.quantize(x, 0, cols, Int8Activations.K_ORDER);
                for (int r = 0; r < rows; r++) {
                    double want = k.dotReference(w.data(), w.rowBytes() * r, a, 0, runs, false);
                    double mag = k.dotReference(w.data(), w.rowBytes() * r, a, 0, runs, true);
                    float got = k.dot(packed, w.rowBytes() * r, a, 0, runs);
                    assertTrue(Math.abs(got - want) <= 1e-5 * mag + 1e-30,
                            type + " runs " + runs + " row " + r + ": got " + got + ", expected " + want);
                }
            }
        }
    }

    /** A packed row decoded to floats is the codec's decoding, each 256-value run transposed (to float rounding). */
    @ParameterizedTest
    @EnumSource(names = {"Q6_K", "Q4_K", "Q5_K", "Q3_K", "Q2_K", "IQ4_XS", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL"})
    void decodedRowsAreTheCodecsTransposed(GgmlType type) {
        assumeTrue(Int8.ENABLED, "the packed layouts decode with 512-bit vectors");
        Random rnd = new Random(7);
        try (Arena arena = Arena.ofShared()) {
            int rows = 5, cols = 3 * 256;
            Weights w = TestWeights.random(type, rows, cols, rnd, arena);
            PackedLayout layout = KernelTable.layout(type);
            MemorySegment packed = layout.pack(w, arena, POOL), scratch = arena.allocate(w.rowBytes());
            assertTrue(layout.transposedRuns());
            float[] got = new float[cols + 3], natural = new float[cols], want = new float[cols];
            for (int r = 0; r < rows; r++) {
                layout.decodeRow(packed, r, cols, got, 3, scratch);
                Dequant.row(type, w.data(), w.rowBytes() * r, natural, 0, cols);
                KOrder.transposeRunsReference(natural, 0, 1, cols, want);
                for (int i = 0; i < cols; i++) {
                    assertEquals(want[i], got[3 + i], 2e-7 * Math.abs(want[i]) + 1e-30, type + " row " + r + " float " + i);
                }
            }
        }
    }

    /**
     * Products of many tokens decode the packed rows into the panel without boxing vectors: a boxed vector per decoded
     * block would cost 16 × 80 bytes and more per product; the bound allows a small object per product, which C2
     * sometimes leaves (in one of four whole-module runs: 72 bytes per Q4_0 product).
     */
    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q6_K", "Q4_K", "Q5_K", "Q3_K", "Q2_K", "IQ4_XS", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL"})
    void panelDecodingAllocatesNothing(GgmlType type) {
        assumeTrue(Weights.packingEnabled(), "packing needs 512-bit int8 kernels");
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        Random rnd = new Random(9);
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(1)) {
            Weights w = TestWeights.random(type, 16, 512, rnd, arena).pack(arena, pool);
            assertNotNull(w.packed());
            int n = MatMul.PANEL_MIN_TOKENS;
            MatMul mm = new MatMul(pool, 512, n);
            float[] x = TestWeights.randomVector(n * 512, rnd), y = new float[n * 16];
            long allocated = -1;
            for (int round = 0; round < 400 && allocated > 500 * 128; round++) {   // more rounds on a loaded machine, where C2 is late
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 500; i++) mm.matMul(w, x, y, n);
                allocated = threads.getCurrentThreadAllocatedBytes() - before;
            }
            assertTrue(allocated <= 500 * 128, "bytes allocated by 500 " + type + " panel products in the steady state: " + allocated);
        }
    }

    @Test
    void transposedRunsMatchScalarReference() {
        assumeTrue(Int8.ENABLED, "the vector transposition uses 512-bit gathers");
        float[] x = TestWeights.randomVector(5 + 3 * 512, new Random(8));
        float[] vec = new float[3 * 512], ref = new float[3 * 512];
        KOrder.transposeRuns(x, 5, 3, 512, vec);
        KOrder.transposeRunsReference(x, 5, 3, 512, ref);
        assertArrayEquals(ref, vec);
        assertEquals(x[5 + 256 + 16 * 3 + 7], ref[256 + 16 * 7 + 3]);
    }

    @Test
    void kOrderIsAPermutation() {
        boolean[] seen = new boolean[256];
        for (int p = 0; p < 256; p++) {
            int v = KOrder.SOURCE[p];
            assertTrue(!seen[v], "value " + v + " twice");
            seen[v] = true;
            assertEquals(p, KOrder.POSITION[v]);
            // int lane (p mod 32) / 2 of every vector holds sub-block (p mod 32) / 2
            assertEquals((p % 32) / 2, v / 16, "position " + p);
        }
    }

    @Test
    void kActivationsMatchScalarReference() {
        Random rnd = new Random(4);
        float[] x = TestWeights.randomVector(256 * 5, rnd);
        x[7] = 0;
        for (int i = 512; i < 768; i++) x[i] = 0;   // a run of zeros: scale 0
        Int8Activations vec = new Int8Activations(x.length), ref = new Int8Activations(x.length);
        vec.quantize(x, 0, x.length, Int8Activations.K_ORDER);
        ref.quantizeReference(x, 0, x.length);
        assertArrayEquals(ref.k, vec.k);
        assertArrayEquals(ref.kd, vec.kd);
        assertArrayEquals(ref.kbsum, vec.kbsum);
        assertEquals(0f, vec.kd[2]);
        for (int p = 0; p < 256; p++) {   // value v of run 0 sits at its K-order position
            int v = KOrder.SOURCE[p];
            assertEquals(Math.round(x[v] / ref.kd[0]), ref.k[p], 1, "position " + p);
        }
    }

    /** Through {@link Weights#pack}: a packed matrix has its copy and the same shape. */
    @ParameterizedTest
    @EnumSource(names = {"Q6_K", "Q4_K", "Q5_K", "Q3_K", "Q2_K", "IQ4_XS", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL"})
    void weightsGetAPackedCopy(GgmlType type) {
        assumeTrue(Weights.packingEnabled(), "packing needs 512-bit int8 kernels");
        try (Arena arena = Arena.ofShared()) {
            Weights w = TestWeights.random(type, 5, 512, new Random(6), arena);
            Weights p = w.pack(arena, POOL);
            assertNotNull(p.packed());
            assertEquals(w.rows(), p.rows());
            assertEquals(p, p.pack(arena, POOL));
        }
    }
}
