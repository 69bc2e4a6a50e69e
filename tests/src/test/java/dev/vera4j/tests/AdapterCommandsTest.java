package dev.vera4j.tests;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.tools.Cli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/** {@code vera4j adapter import|export|info} and {@code vera4j merge}, run in-process through {@link Cli#run}. */
class AdapterCommandsTest {
    private static final Path SHARED = Path.of(System.getProperty("vera4j.shared", "../shared"));
    private static final String STORIES = SHARED.resolve("models/stories260K.gguf").toString();
    /** The PEFT adapter that vera's peft_vera_reference.py wrote for stories260K. */
    private static final Path PEFT = Path.of("../vera/src/test/resources/dev/vera4j/vera/stories/stories-vera");

    @TempDir Path tmp;

    private record Result(int code, String out, String err) {}

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Cli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void assertError(Result r, int code, String contains) {
        assertEquals(code, r.code(), r.err());
        assertTrue(r.err().startsWith("error: ") && r.err().contains(contains), r.err());
    }

    private Path imported() {
        Path a = tmp.resolve("stories-vera.gguf");
        Result r = run("adapter", "import", PEFT.toString(), "-m", STORIES, "-o", a.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("35 adapted projections"), r.out());
        return a;
    }

    @Test
    void importInfoExportRoundTrip() throws Exception {
        Path a = imported();
        Result info = run("adapter", "info", a.toString(), "-m", STORIES);
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("seed: 20241128, r: 16"), info.out());
        assertTrue(info.out().contains("targets: q, k, v, o, gate, up, down"), info.out());
        // per layer: λ_b of 64+32+32+64+172+172+64 outputs, plus 7 λ_d of 16
        assertTrue(info.out().contains("trainable parameters: " + 5 * (600 + 7 * 16)), info.out());
        assertTrue(info.out().contains("fits " + STORIES), info.out());
        Result peftInfo = run("adapter", "info", PEFT.toString());
        assertEquals(0, peftInfo.code(), peftInfo.err());
        assertTrue(peftInfo.out().contains("trainable parameters: 3560"), peftInfo.out());

        Path out = tmp.resolve("peft");
        Result ex = run("adapter", "export", a.toString(), "-o", out.toString());
        assertEquals(0, ex.code(), ex.err());
        for (String f : new String[] {"adapter_config.json", "adapter_model.safetensors"}) {
            assertArrayEquals(Files.readAllBytes(PEFT.resolve(f)), Files.readAllBytes(out.resolve(f)), f);
        }
        Path half = tmp.resolve("f16.gguf");
        assertEquals(0, run("adapter", "import", PEFT.toString(), "-m", STORIES, "-o", half.toString(), "--type", "F16").code());
        assertTrue(Files.size(half) < Files.size(a));
    }

    @Test
    void mergeWritesAModelTheAdapterNoLongerFits() throws Exception {
        Path a = imported();
        Path merged = tmp.resolve("merged.gguf");
        Result r = run("merge", "-m", STORIES, "--adapter", a + ":0.5", "-o", merged.toString(), "--threads", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("weight 0.5"), r.out());
        assertError(run("adapter", "info", a.toString(), "-m", merged.toString()), 1, "fingerprint");
        assertEquals(0, run("adapter", "info", a.toString(), "-m", merged.toString(), "--force").code());

        Path f16 = tmp.resolve("merged-f16.gguf");
        r = run("merge", "-m", STORIES, "--adapter", PEFT.toString(), "-o", f16.toString(), "--type", "f16");
        assertEquals(0, r.code(), r.err());
        try (GgufFile f = GgufFile.open(f16)) {
            assertEquals(GgmlType.F16, f.tensor("blk.0.attn_q.weight").type());
            assertEquals(GgmlType.F32, f.tensor("token_embd.weight").type());
            assertTrue(f.metadata().getString("vera.merged_adapters").contains("seed=20241128"));
        }
    }

    @Test
    void generateAppliesAdaptersWithTheirWeights() {
        String[] base = {"generate", "-m", STORIES, "-p", "Once upon a time", "-n", "12", "--temp", "0", "--json", "-t", "1"};
        Result plain = run(base);
        assertEquals(0, plain.code(), plain.err());
        Result zero = run(concat(base, "--adapter", PEFT + ":0"));
        assertEquals(0, zero.code(), zero.err());
        Result full = run(concat(base, "--adapter", PEFT.toString()));
        assertEquals(0, full.code(), full.err());
        assertEquals(ids(plain.out()), ids(zero.out()));
        assertNotEquals(ids(plain.out()), ids(full.out()));
        assertError(run(concat(base, "--adapter", tmp.resolve("none.gguf").toString())), 1, "does not exist");
    }

    private static String ids(String json) {
        int at = json.indexOf("\"generated_ids\"");
        return json.substring(at, json.indexOf(']', at) + 1);
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void badInputGetsOneLineErrors() throws Exception {
        assertError(run("adapter", "frobnicate", "x"), 2, "unknown subcommand");
        assertError(run("adapter", "import", PEFT.toString(), "-o", tmp.resolve("x.gguf").toString()), 2, "missing -m");
        assertError(run("adapter", "info", STORIES), 1, "not a VeRA adapter");
        assertError(run("adapter", "info", tmp.resolve("missing.gguf").toString()), 1, "missing.gguf");
        assertError(run("adapter", "import", tmp.toString(), "-m", STORIES, "-o", tmp.resolve("x.gguf").toString()), 1, "adapter_config.json");
        Path a = imported();
        assertError(run("merge", "-m", STORIES, "--adapter", a.toString(), "-o", tmp.resolve("m.gguf").toString(), "--type", "Q9_9"), 2, "unknown --type");
        // rows of the 172-wide down projection are not whole Q8_0 blocks of 32
        assertError(run("merge", "-m", STORIES, "--adapter", a.toString(), "-o", tmp.resolve("m.gguf").toString(), "--type", "Q8_0"), 1, "Q8_0 blocks");
        assertFalse(Files.exists(tmp.resolve("m.gguf")));
        assertError(run("merge", "-m", STORIES, "--adapter", a.toString(), "-o", STORIES), 2, "must differ");
    }
}
