package dev.vera4j.tools;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The load report's memory estimate against the peak resident memory (VmHWM) of the same process, a child JVM started
 * as the launchers start it ({@link StartupCache#JVM_OPTIONS}): within 15 % for stories260K, a generated 94M-parameter
 * Llama-3 in Q4_0 (its first load, which packs, and a second, which reads the pack cache) and, where it is present, the generated 1B Q4_0 file of the benchmarks.
 */
class MemoryEstimateTest {
    private static final Pattern ESTIMATE = Pattern.compile("memory ~([0-9.]+ [KMG]iB) \\("), PEAK = Pattern.compile("peak resident memory: ([0-9.]+ [KMG]iB)");
    @TempDir Path dir;

    @Test
    void stories260K() throws Exception {
        assumeTrue(Files.exists(Path.of("/proc/self/status")), "VmHWM needs Linux");
        check(TrainCommandTest.MODEL);
    }

    @Test
    void generatedLlama3InQ4_0() throws Exception {
        assumeTrue(Files.exists(Path.of("/proc/self/status")), "VmHWM needs Linux");
        Path model = dir.resolve("mid-llama3-Q4_0.gguf");
        MakeModelCommand.writer(ModelShape.named("mid-llama3"), QuantMix.Q4_0, false, 42).write(model);
        check(model);   // the first load, which packs
        check(model);   // the second, which reads the regrouped copies from the pack cache the first wrote
    }

    @Test
    void llama3OneBInQ4_0() throws Exception {
        Path model = Path.of("/work/models/llama3-1b-Q4_0.gguf");
        assumeTrue(Files.exists(model) && Files.exists(Path.of("/proc/self/status")), "the generated 1B file is not here");
        check(model);
    }

    private void check(Path model) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(StartupCache.JVM_OPTIONS);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.vera4j.tools.Main", "generate", "-m", model.toString(),
                "-p", "Once upon a time", "-n", "16", "--temp", "0", "--verbose", "-t", "2"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("VERA4J_CACHE", dir.resolve("cache").toString());
        Process p = pb.start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), text);
        Matcher e = ESTIMATE.matcher(text), m = PEAK.matcher(text);
        assertTrue(e.find() && m.find(), text);
        double estimate = bytes(e.group(1)), peak = bytes(m.group(1));
        assertEquals(1.0, estimate / peak, 0.15, model.getFileName() + ": estimate " + e.group(1) + " against a measured peak of " + m.group(1) + "\n" + text);
    }

    /** Parses what {@link Numbers#bytes} prints. */
    private static double bytes(String s) {
        String[] p = s.split(" ");
        int shift = switch (p[1]) { case "KiB" -> 10; case "MiB" -> 20; case "GiB" -> 30; default -> throw new IllegalArgumentException(s); };
        return Double.parseDouble(p[0]) * (1L << shift);
    }
}
