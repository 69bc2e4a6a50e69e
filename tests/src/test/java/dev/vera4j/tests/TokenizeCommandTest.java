package dev.vera4j.tests;

import dev.vera4j.tools.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vera4j tokenize}, run in-process on llama.cpp's vocabulary files, printing like {@code llama-tokenize}. */
class TokenizeCommandTest {
    private static final Path VOCABS = Path.of(System.getProperty("vera4j.shared", "../shared")).resolve("testdata/tokenizer");
    private static final String SPM = VOCABS.resolve("ggml-vocab-llama-spm.gguf").toString();
    private static final String BPE = VOCABS.resolve("ggml-vocab-llama-bpe.gguf").toString();

    private record Result(int code, String out, String err) {}

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Cli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void idsAreAJsonArrayWithBosByDefault() {
        Result r = run("tokenize", "-m", SPM, "--text", "Hello world", "--ids");
        assertEquals(0, r.code(), r.err());
        assertEquals("[1, 15043, 3186]\n", r.out());
        assertEquals("[15043, 3186]\n", run("tokenize", "-m", SPM, "--text", "Hello world", "--ids", "--no-bos").out());
    }

    @Test
    void tokensArePrintedOnePerLineWithTheirPieces() {
        Result r = run("tokenize", "-m", BPE, "--text", "Hello world");
        assertEquals(0, r.code(), r.err());
        assertEquals("128000 -> '<|begin_of_text|>'\n  9906 -> 'Hello'\n  1917 -> ' world'\n", r.out());
    }

    @Test
    void parseSpecialTurnsControlTokenTextIntoIds() {
        assertEquals("[128006, 13347, 128009]\n",
                run("tokenize", "-m", BPE, "--text", "<|start_header_id|>Hi<|eot_id|>", "--ids", "--no-bos", "--parse-special").out());
        String literal = run("tokenize", "-m", BPE, "--text", "<|eot_id|>", "--ids", "--no-bos").out();
        assertTrue(!literal.contains("128009") && literal.startsWith("[") && literal.contains(","), literal);
    }

    @Test
    void readsTheTextFromAFile(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("prompt.txt");
        Files.writeString(f, "Hello world", StandardCharsets.UTF_8);
        assertEquals("[1, 15043, 3186]\n", run("tokenize", "-m", SPM, "--file", f.toString(), "--ids").out());
    }

    @Test
    void badCommandLinesAreUsageErrors() {
        Result noModel = run("tokenize", "--text", "hi");
        assertEquals(Cli.EXIT_USAGE, noModel.code());
        assertTrue(noModel.err().contains("-m"), noModel.err());
        Result both = run("tokenize", "-m", SPM, "--text", "hi", "--file", "x.txt");
        assertEquals(Cli.EXIT_USAGE, both.code());
        assertTrue(both.err().contains("exactly one of --text and --file"), both.err());
        assertEquals(Cli.EXIT_USAGE, run("tokenize", "-m", SPM).code());
        assertEquals(Cli.EXIT_USAGE, run("tokenize", "-m", SPM, "--text", "hi", "--bogus").code());
    }

    @Test
    void missingFilesAreRuntimeErrors() {
        Result r = run("tokenize", "-m", "no-such-model.gguf", "--text", "hi");
        assertEquals(Cli.EXIT_ERROR, r.code());
        assertTrue(r.err().startsWith("error: ") && r.err().contains("no-such-model.gguf"), r.err());
        assertEquals(Cli.EXIT_ERROR, run("tokenize", "-m", SPM, "--file", "no-such-prompt.txt").code());
    }
}
