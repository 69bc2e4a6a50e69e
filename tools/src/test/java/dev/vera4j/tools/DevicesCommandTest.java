package dev.vera4j.tools;

import dev.vera4j.engine.json.Json;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** {@code vera4j devices}: the CPU always, then the GPUs or why there are none; exit 0 either way. */
class DevicesCommandTest {
    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Cli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void listsTheCpuFirst() {
        Run r = run("devices");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.getFirst().matches("cpu     \\S+, \\d+ threads?, \\d+-bit SIMD \\(\\d+ float lanes\\)"), r.out());
        assertTrue(lines.size() >= 2, r.out());
        for (String l : lines.subList(1, lines.size())) assertTrue(l.startsWith("cuda:") || l.startsWith("cuda    none: "), l);
    }

    @Test
    @SuppressWarnings("unchecked")
    void json() {
        Run r = run("devices", "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> root = (Map<String, Object>) Json.parse(r.out().trim());
        Map<String, Object> cpu = (Map<String, Object>) root.get("cpu");
        assertEquals((long) Runtime.getRuntime().availableProcessors(), ((Number) cpu.get("threads")).longValue());
        assertTrue(root.get("kernels").toString().startsWith("SASS sm_90, PTX compute_75"), r.out());
        if (((List<Object>) root.get("gpus")).isEmpty()) assertNotNull(root.get("no_gpu"), r.out());
    }

    @Test
    void rejectsArguments() {
        Run r = run("devices", "extra");
        assertEquals(Cli.EXIT_USAGE, r.code());
        assertTrue(r.err().startsWith("error: unexpected argument 'extra'"), r.err());
    }
}
