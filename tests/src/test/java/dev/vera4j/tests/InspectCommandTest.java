package dev.vera4j.tests;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufArray;
import dev.vera4j.gguf.GgufValue;
import dev.vera4j.gguf.GgufWriter;
import dev.vera4j.tools.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** {@code vera4j inspect}, run in-process through {@link Cli#run}. */
class InspectCommandTest {
    private static final Path SHARED = Path.of(System.getProperty("vera4j.shared", "../shared"));
    private static final String STORIES = SHARED.resolve("models/stories260K.gguf").toString();

    @TempDir Path tmp;

    private record Result(int code, String out, String err) {}

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Cli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void assertOneErrorLine(Result r, String contains) {
        assertEquals(1, r.code(), r.err());
        assertEquals("", r.out());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, r.err());
        assertTrue(lines[0].startsWith("error: ") && lines[0].contains(contains), lines[0]);
    }

    @Test
    void stories260KSummaryTableAndTotals() {
        Result r = run("inspect", STORIES);
        assertEquals(0, r.code(), r.err());
        String out = r.out();
        assertTrue(out.contains("model: llama, 5 blocks, 8 heads, 4 kv heads, context 2048, vocab 512, 292.8K parameters, file type all F32 (guessed)"), out);
        assertTrue(out.contains("total: 48 tensors, 1171200 bytes"), out);
        assertTrue(out.contains("292800 parameters"), out);
        assertTrue(out.contains("tokenizer.ggml.tokens                  = [..] (512 strings)"), out);
        assertTrue(out.contains("llama.attention.head_count_kv          = 4"), out);
        assertTrue(out.contains("tokenizer.ggml.seperator_token_id      = 4294967295"), out);
        assertTrue(out.matches("(?s).*\\n  token_embd\\.weight +F32 +\\[64, 512] +131072 +0\\n.*"), out);
        assertTrue(out.matches("(?s).*\\n  blk\\.4\\.ffn_norm\\.weight +F32 +\\[64] +256 +1170944\\n.*"), out);
        assertEquals(48, out.lines().filter(l -> l.matches("  \\S+ +F32 +\\[.*")).count());
    }

    @Test
    void longStringsAreShortened() {
        Result r = run("inspect", SHARED.resolve("testdata/tokenizer/ggml-vocab-phi-3.gguf").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("tokenizer.chat_template                   = \"{{ bos_token }}{% for message in messages %}{% if (message['...\" (269 chars)"), r.out());
        assertTrue(r.out().contains("model: phi3, 32 blocks, 32 heads, 32 kv heads, context 4096, vocab 32064, 0 parameters, file type F16"), r.out());
    }

    @Test
    void json() {
        Result r = run("inspect", STORIES, "--json");
        assertEquals(0, r.code(), r.err());
        String j = r.out().strip();
        assertTrue(j.startsWith("{") && j.endsWith("}"), j);
        for (String s : new String[]{"\"architecture\": \"llama\"", "\"blocks\": 5", "\"heads\": 8", "\"kv_heads\": 4",
                "\"context\": 2048", "\"vocab\": 512", "\"parameters\": 292800", "\"file_type\": \"all F32 (guessed)\"",
                "\"tokenizer.ggml.tokens\": {\n      \"element_type\": \"string\",\n      \"length\": 512\n    }",
                "\"llama.attention.layer_norm_rms_epsilon\": 1.0E-5", "\"tokenizer.ggml.padding_token_id\": 4294967295",
                "\"name\": \"token_embd.weight\",\n      \"type\": \"F32\",\n      \"shape\": [64, 512],\n      \"bytes\": 131072,\n      \"offset\": 0",
                "\"totals\": {\n    \"tensors\": 48,\n    \"bytes\": 1171200,\n    \"parameters\": 292800\n  }"}) {
            assertTrue(j.contains(s), s + " in\n" + j);
        }
        assertEquals(48, j.lines().filter(l -> l.startsWith("      \"name\": ")).count());
    }

    @Test
    void keyPrintsOneValueInFull() {
        Result r = run("inspect", STORIES, "--key", "llama.block_count");
        assertEquals(new Result(0, "5\n", ""), new Result(r.code(), r.out().replace("\r", ""), r.err()));
        r = run("inspect", STORIES, "--key", "tokenizer.ggml.tokens");
        assertEquals(512, r.out().lines().count());
        assertEquals("<unk>", r.out().lines().findFirst().orElseThrow());
        r = run("inspect", STORIES, "--key", "general.architecture", "--json");
        assertEquals("\"llama\"", r.out().strip());
        r = run("inspect", STORIES, "--key", "tokenizer.ggml.token_type", "--json");
        assertTrue(r.out().startsWith("[\n  2,\n  3,\n  3,"), r.out());
    }

    @Test
    void jsonStringsAreEscaped() {
        String phi3 = SHARED.resolve("testdata/tokenizer/ggml-vocab-phi-3.gguf").toString();
        String raw = run("inspect", phi3, "--key", "tokenizer.chat_template").out();
        raw = raw.substring(0, raw.length() - System.lineSeparator().length());
        assertTrue(raw.contains("\n"), "the template has newlines to escape");
        String expected = '"' + raw.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n").replace("\t", "\\t") + '"';
        assertEquals(expected, run("inspect", phi3, "--key", "tokenizer.chat_template", "--json").out().strip());
    }

    @Test
    void missingKeyIsAnError() {
        assertOneErrorLine(run("inspect", STORIES, "--key", "llama.nope"), "metadata key 'llama.nope' is not in");
    }

    @Test
    void missingFileDirectoryAndNonGguf() throws IOException {
        assertOneErrorLine(run("inspect", tmp.resolve("absent.gguf").toString()), "no such file");
        assertOneErrorLine(run("inspect", tmp.toString()), "is a directory");
        Path text = Files.writeString(tmp.resolve("notes.txt"), "just some text, not a model\n");
        assertOneErrorLine(run("inspect", text.toString()), "not a GGUF file");
    }

    @Test
    void splitModelIsShownAsOne() throws IOException {
        for (int i = 0; i < 2; i++) {
            GgufWriter w = new GgufWriter()
                    .put("split.no", GgufValue.ofUInt16(i)).put("split.count", GgufValue.ofUInt16(2))
                    .put("split.tensors.count", GgufValue.ofInt32(2));
            if (i == 0) w.put("general.architecture", GgufValue.ofString("llama"))
                    .put("tokenizer.ggml.tokens", GgufValue.ofArray(GgufArray.ofStrings("a", "b", "c")));
            w.addTensor("t" + i, GgmlType.F32, new long[]{8, 2}, MemorySegment.ofArray(new float[16]));
            w.write(tmp.resolve(String.format("m-%05d-of-00002.gguf", i + 1)));
        }
        Result r = run("inspect", tmp.resolve("m-00002-of-00002.gguf").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("2 split parts"), r.out());
        assertTrue(r.out().contains("model: llama, ? blocks, ? heads, ? kv heads, context ?, vocab 3, 32 parameters, file type all F32 (guessed)"), r.out());
        assertTrue(r.out().contains("total: 2 tensors, 128 bytes"), r.out());
    }

    @Test
    void usageAndHelp() {
        Result r = run("inspect", "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("--key KEY") && r.out().contains("--json"), r.out());
        assertEquals(2, run("inspect").code());
        assertEquals(2, run("inspect", STORIES, "--bogus").code());
        assertEquals(2, run("inspect", STORIES, "--key").code());
    }
}
