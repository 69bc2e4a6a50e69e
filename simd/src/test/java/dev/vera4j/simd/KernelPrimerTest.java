package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The primer's stand-ins (one per type and width, packed where the model's matrices are) and its thread. */
class KernelPrimerTest {
    @Test
    void oneStandInPerTypeAndWidthOfTheMatricesThatGetPackedCopies() {
        Random rnd = new Random(3);
        try (Arena arena = Arena.ofShared()) {
            Weights q = TestWeights.random(GgmlType.Q4_0, 64, 512, rnd, arena), k = TestWeights.random(GgmlType.Q4_0, 32, 512, rnd, arena),
                    down = TestWeights.random(GgmlType.Q4_0, 32, 1024, rnd, arena), out = TestWeights.random(GgmlType.Q6_K, 48, 512, rnd, arena),
                    q8 = TestWeights.random(GgmlType.Q8_0, 32, 256, rnd, arena), f16 = TestWeights.random(GgmlType.F16, 32, 256, rnd, arena);
            List<Weights> standIns = KernelPrimer.standIns(java.util.Arrays.asList(out, q, k, null, down, q, q8, f16));
            // Q8_0 and F16 have no packed layout: their products read the mapping, and they are not primed
            assertEquals(Weights.packingEnabled() ? List.of("Q6_K 512", "Q4_0 512", "Q4_0 1024") : List.of(),
                    standIns.stream().map(w -> w.type() + " " + w.cols()).toList());
            for (Weights w : standIns) {
                assertEquals(KernelPrimer.ROWS, w.rows());
                assertSame(w.data(), w.packed(), "zeros read as the packed copy");
                for (long i = 0; i < w.data().byteSize(); i++) assertEquals(0, w.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, i));
            }
        }
    }

    @Test
    void runsEveryStandInItsIterationsThenStops() throws Exception {
        Random rnd = new Random(4);
        try (Arena arena = Arena.ofShared()) {
            List<Weights> matrices = List.of(TestWeights.random(GgmlType.Q4_0, 32, 256, rnd, arena), TestWeights.random(GgmlType.Q6_K, 32, 256, rnd, arena));
            int expected = Weights.packingEnabled() ? 2 * KernelPrimer.ITERATIONS : 0;
            KernelPrimer primer = KernelPrimer.start(matrices);
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (primer.running() && primer.products() < expected && System.nanoTime() < deadline) Thread.sleep(10);
            primer.close();
            assertEquals(expected, primer.products());
        }
    }

    @Test
    void closeStopsItEarly() throws Exception {
        Random rnd = new Random(5);
        try (Arena arena = Arena.ofShared()) {
            assumeTrue(Weights.packingEnabled(), "no packed copies on this CPU: nothing to prime");
            // 64 widths: 9,600 products of 32 rows by 8,192 or more, a tenth of a second at least even with every kernel
            // compiled, so that close, called at once, always comes first (one small stand-in was sometimes done before it)
            List<Weights> matrices = new java.util.ArrayList<>();
            for (int i = 0; i < 64; i++) matrices.add(TestWeights.random(GgmlType.Q4_0, 32, 8192 + 32 * i, rnd, arena));
            KernelPrimer primer = KernelPrimer.start(matrices);
            primer.close();
            assertFalse(primer.running(), "close returns once the thread has ended");
            int after = primer.products();
            assertTrue(after < matrices.size() * KernelPrimer.ITERATIONS, after + " products");
            Thread.sleep(50);
            assertEquals(after, primer.products(), "no product runs after close");
        }
    }
}
