package dev.vera4j.gguf.types;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The 8-lane (256-bit) vector paths agree with the scalar reference too, checked in a JVM capped at 256 bits. */
class NarrowVectorTest {

    @Test
    void eightLanePathsMatchReference() throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(List.of(java, "-XX:MaxVectorSize=32", "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), NarrowVectorCheck.class.getName()))
                .redirectErrorStream(true).start();
        boolean finished = p.waitFor(120, TimeUnit.SECONDS);
        if (!finished) p.destroyForcibly();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(finished, "check timed out: " + out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("lanes=8 ok"), out);
    }
}
