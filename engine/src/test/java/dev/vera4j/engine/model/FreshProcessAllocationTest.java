package dev.vera4j.engine.model;

import dev.vera4j.simd.MatMul;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Decoding allocates nothing in a process of its own, on AVX2 as on AVX-512. In the test JVM, after the other tests,
 * C2 compiles some of the float kernels (softmax, SiLU, F32 rows) with boxed vectors on AVX2, so the in-JVM checks of
 * {@link ForwardPassTest} hold on AVX-512 only; a fresh process, as a user's `generate` or server is, reaches zero.
 */
class FreshProcessAllocationTest {
    @Test
    void decodingInAFreshProcessAllocatesNothing() throws IOException, InterruptedException {
        assumeTrue(MatMul.int8Kernels() || MatMul.narrowInt8Kernels(), "needs 256-bit or 512-bit vector kernels");
        String out = DecodeAllocation.inFreshProcess(120, ReferenceData.stories().toString(), "120");
        assertTrue(out.lines().anyMatch(l -> l.equals("steady 0 0")), "bytes allocated by the calling thread and the worker in 100 decode steps in the steady state: " + out);
    }
}
