package dev.vera4j.engine.model;

import dev.vera4j.simd.MatMul;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseParallelGC", "-cp", System.getProperty("java.class.path"), DecodeAllocation.class.getName(),
                ReferenceData.stories().toString(), "120"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the decoding process did not end within 180 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.lines().anyMatch(l -> l.equals("steady 0")), "bytes allocated by 100 decode steps in the steady state: " + out);
    }
}
