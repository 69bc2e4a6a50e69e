package dev.vera4j.tests;

import dev.vera4j.engine.json.Json;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.vera4j.tests.GenerateCommandTest.MODEL;
import static dev.vera4j.tests.GenerateCommandTest.cli;
import static org.junit.jupiter.api.Assertions.*;

class BenchCommandTest {
    @Test
    @SuppressWarnings("unchecked")
    void measuresPromptProcessingAndGeneration() {
        GenerateCommandTest.Result r = cli("bench", "-m", MODEL, "-p", "16", "-n", "8", "-t", "1", "-r", "3", "--json");
        assertEquals(0, r.code(), r.err());
        List<Object> rows = (List<Object>) Json.parse(r.out());
        assertEquals(2, rows.size());
        Map<String, Object> pp = (Map<String, Object>) rows.get(0), tg = (Map<String, Object>) rows.get(1);
        assertEquals("pp16", pp.get("test"));
        assertEquals("tg8", tg.get("test"));
        for (Map<String, Object> m : List.of(pp, tg)) {
            double median = ((Number) m.get("tokens_per_second_median")).doubleValue();
            assertTrue(median > 0);
            assertTrue(((Number) m.get("tokens_per_second_min")).doubleValue() <= median);
            assertTrue(((Number) m.get("tokens_per_second_max")).doubleValue() >= median);
            assertEquals(3, ((List<Object>) m.get("tokens_per_second")).size());
        }
    }

    @Test
    void printsATable() {
        GenerateCommandTest.Result r = cli("bench", "-m", MODEL, "-p", "8", "-n", "0", "-t", "1", "-r", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("| stories260K.gguf"), r.out());
        assertTrue(r.out().contains("pp8"));
        assertFalse(r.out().contains("tg"));
        assertEquals(2, cli("bench", "-m", MODEL, "-p", "0", "-n", "0").code());
    }

    /** The warm-up repeats the run for the seconds asked (JIT compilation stays out of the figures); bad values are refused. */
    @Test
    void warmsUpForTheSecondsAsked() {
        long t0 = System.nanoTime();
        GenerateCommandTest.Result r = cli("bench", "-m", MODEL, "-p", "0", "-n", "4", "-t", "1", "-r", "1", "--warmup", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(System.nanoTime() - t0 >= 1_000_000_000L, "returned before the one-second warm-up ended");
        GenerateCommandTest.Result bad = cli("bench", "-m", MODEL, "-n", "4", "--warmup", "-1");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("warmup"), bad.err());
    }
}
