package dev.vera4j.tests;

import dev.vera4j.engine.json.Json;
import dev.vera4j.tools.Cli;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** {@code vera4j generate} in-process on stories260K against the llama.cpp reference ids. */
class GenerateCommandTest {
    static final Path SHARED = Path.of(System.getProperty("vera4j.shared", "../shared"));
    static final String MODEL = SHARED.resolve("models/stories260K.gguf").toString();

    record Result(int code, String out, String err) {}

    static Result cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Cli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static long[] referenceIds(String file, String key) throws IOException {
        for (String line : Files.readAllLines(SHARED.resolve("testdata/reference/" + file))) {
            if (line.startsWith(key + ":")) return Arrays.stream(line.substring(key.length() + 1).trim().split("\\s+")).mapToLong(Long::parseLong).toArray();
        }
        throw new IllegalStateException(key);
    }

    @Test
    @SuppressWarnings("unchecked")
    void jsonGreedyOutputMatchesLlamaCpp() throws IOException {
        Result r = cli("generate", "-m", MODEL, "-p", "Once upon a time", "-n", "64", "--temp", "0", "-t", "2", "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> m = (Map<String, Object>) Json.parse(r.out().trim());
        long[] prompt = referenceIds("stories260K.once-upon-a-time.txt", "prompt_ids");
        long[] generated = referenceIds("stories260K.once-upon-a-time.txt", "generated_ids");
        assertEquals(Arrays.stream(prompt).boxed().toList(), m.get("prompt_ids"));
        assertEquals(Arrays.stream(generated).boxed().toList(), m.get("generated_ids"));
        assertEquals("max_tokens", m.get("stop_reason"));
        assertTrue(((String) m.get("text")).startsWith(", there was"), (String) m.get("text"));
        Map<String, Object> t = (Map<String, Object>) m.get("timings");
        assertEquals(5L, t.get("prompt_tokens"));
        assertEquals(64L, t.get("generated_tokens"));
        assertTrue(((Number) t.get("generation_tokens_per_second")).doubleValue() > 0);
    }

    @Test
    void streamsTextAndReportsTimings() {
        Result r = cli("generate", "-m", MODEL, "-p", "Once upon a time", "-n", "16", "--temp", "0", "-t", "1", "--stop", "girl");
        assertEquals(0, r.code(), r.err());
        assertEquals("Once upon a time, there was a little \n", r.out().replace("\r", ""));
        assertTrue(r.err().contains("stop: stop_string"), r.err());
        assertTrue(r.err().contains("tokens/s"), r.err());
    }

    @Test
    void seededSamplingIsReproducible() {
        List<String> args = List.of("generate", "-m", MODEL, "-p", "The little dog", "-n", "24", "--temp", "0.9", "--top-k", "20",
                "--top-p", "0.9", "--min-p", "0.02", "--repeat-penalty", "1.1", "--presence-penalty", "0.1", "--frequency-penalty", "0.1",
                "--seed", "42", "-t", "1", "--json");
        Result a = cli(args.toArray(String[]::new)), b = cli(args.toArray(String[]::new));
        assertEquals(0, a.code(), a.err());
        assertEquals(Json.parse(a.out()) instanceof Map<?, ?> ma ? ma.get("generated_ids") : null,
                Json.parse(b.out()) instanceof Map<?, ?> mb ? mb.get("generated_ids") : null);
    }

    @Test
    void minusOneGeneratesUntilTheContextIsFull() {
        Result r = cli("generate", "-m", MODEL, "-p", "Once upon a time", "-n", "-1", "--temp", "0", "--ignore-eos", "--ctx", "40", "-t", "1", "--json");
        assertEquals(0, r.code(), r.err());
        Map<?, ?> m = (Map<?, ?>) Json.parse(r.out());
        assertEquals("context_full", m.get("stop_reason"));
        assertEquals(40 - 5 + 1, ((List<?>) m.get("generated_ids")).size());
    }

    @Test
    void errors() {
        Result noPrompt = cli("generate", "-m", MODEL);
        assertEquals(2, noPrompt.code());
        assertTrue(noPrompt.err().contains("missing -p PROMPT"), noPrompt.err());
        assertEquals(2, cli("generate", "-m", MODEL, "-p", "x", "--bogus").code());
        assertEquals(2, cli("generate", "-m", MODEL, "-p", "x", "--top-p", "2").code());
        Result missing = cli("generate", "-m", "/nonexistent/model.gguf", "-p", "x");
        assertEquals(1, missing.code());
        assertTrue(missing.err().startsWith("error: "), missing.err());
        Result overflow = cli("generate", "-m", MODEL, "-p", "Once upon a time there was a dog", "--ctx", "4");
        assertEquals(1, overflow.code());
        assertTrue(overflow.err().contains("do not fit in the context"), overflow.err());
    }
}
