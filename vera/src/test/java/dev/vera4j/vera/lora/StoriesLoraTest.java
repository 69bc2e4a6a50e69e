package dev.vera4j.vera.lora;

import dev.vera4j.engine.api.GenerateOptions;
import dev.vera4j.engine.api.GenerationListener;
import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.api.Session;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.LinearHook;
import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.vera.AdapterLoader;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.merge.Merger;
import dev.vera4j.vera.peft.PeftLora;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A LoRA adapter with pseudo-random A and B on all seven projections of stories260K (the one {@code scripts/lora_reference.py}
 * ran through llama.cpp, written here by {@link StoriesLora})
 * against llama.cpp: greedy tokens of {@code llama-cli --lora} (weight 1) and {@code --lora-scaled ... 0.5}, from the
 * GGUF and from the same adapter as a PEFT directory (rsLoRA, q/k rows in Hugging Face order); merged into the
 * weights; stacked; and refused on another base.
 */
class StoriesLoraTest {
    record Case(String prompt, float weight, int[] promptIds, int[] expected) {}

    static Path stories() { return Path.of(System.getProperty("vera4j.shared", "../shared")).resolve("models/stories260K.gguf"); }

    static Path resource(String name) {
        try {
            return Path.of(StoriesLoraTest.class.getResource("/dev/vera4j/vera/lora/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<Case> cases;
    static BaseFingerprint base;
    @org.junit.jupiter.api.io.TempDir static Path generated;
    /** The adapter llama.cpp ran, written here by vera4j's own writer ({@link StoriesLora}). */
    static Path gguf;

    @BeforeAll
    static void load() throws IOException {
        gguf = StoriesLora.write(resource("stories-lora-peft"), stories(), generated.resolve("stories-lora.gguf"));
        cases = new ArrayList<>();
        for (String line : Files.readAllLines(resource("stories-lora-reference.txt"))) {
            if (line.startsWith("#")) continue;
            String[] p = line.split("\\|");
            cases.add(new Case(p[0], Float.parseFloat(p[1]), ids(p[2]), ids(p[3])));
        }
        base = BaseFingerprint.of(stories());
    }

    static int[] ids(String s) { return Arrays.stream(s.trim().split(" ")).mapToInt(Integer::parseInt).toArray(); }

    /** Greedy tokens of {@code model} for {@code c}, with {@code hooks} (each made for the session's batch size). */
    static int[] greedy(Model model, Case c, List<java.util.function.IntFunction<LinearHook>> hooks) {
        Session s = model.newSession(64, KvType.F32, 16);
        for (var h : hooks) s.addHook(h.apply(s.batchSize()));
        return s.generate(c.promptIds(), GenerateOptions.greedy(c.expected().length), GenerationListener.NONE).tokens();
    }

    void assertMatchesLlamaCpp(Path adapter) {
        LoraWeights w = AdapterLoader.prepareLora(adapter, base, false);
        try (Model model = Model.load(stories(), 1)) {
            for (Case c : cases) {
                List<java.util.function.IntFunction<LinearHook>> hooks = c.weight() == 0 ? List.of()
                        : List.of(n -> new LoraHook(w, n, c.weight(), model.pool()));
                assertArrayEquals(c.expected(), greedy(model, c, hooks), adapter.getFileName() + " at weight " + c.weight() + ": " + c.prompt());
            }
        }
    }

    @Test
    void referenceChangesWithTheWeight() {
        // the reference must be able to tell the weights apart, or the comparisons below prove little
        for (Case c : cases) {
            if (c.weight() == 1f) {
                Case none = cases.stream().filter(o -> o.prompt().equals(c.prompt()) && o.weight() == 0).findFirst().orElseThrow();
                assertFalse(Arrays.equals(c.expected(), none.expected()), c.prompt());
            }
        }
        assertTrue(cases.stream().anyMatch(c -> c.weight() == 0.5f && !Arrays.equals(c.expected(),
                cases.stream().filter(o -> o.prompt().equals(c.prompt()) && o.weight() == 0).findFirst().orElseThrow().expected())));
    }

    @Test
    void ggufGivesLlamaCppsTokens() {
        assertEquals(AdapterLoader.Kind.LORA, AdapterLoader.kind(gguf));
        LoraFile f = LoraFile.read(gguf);
        assertEquals(35, f.sites().size());
        assertEquals(2f, f.sites().values().iterator().next().scale());
        assertMatchesLlamaCpp(gguf);
    }

    @Test
    void peftDirectoryGivesTheSameTokens() {
        assertEquals(AdapterLoader.Kind.LORA, AdapterLoader.kind(resource("stories-lora-peft")));
        assertMatchesLlamaCpp(resource("stories-lora-peft"));
    }

    @Test
    void twoHalvesStackToTheWhole() {
        LoraWeights w = AdapterLoader.prepareLora(gguf, base, false);
        LoraWeights p = AdapterLoader.prepareLora(resource("stories-lora-peft"), base, false);
        try (Model model = Model.load(stories(), 1)) {
            for (Case c : cases) {
                if (c.weight() != 1f) continue;
                assertArrayEquals(c.expected(), greedy(model, c, List.of(n -> new LoraHook(w, n, 0.5f, null), n -> new LoraHook(p, n, 0.5f, null))));
            }
        }
    }

    @Test
    void mergedModelGivesTheSameTokensAndUnmergingRestoresTheBase(@TempDir Path dir) throws IOException {
        Path merged = dir.resolve("merged.gguf"), restored = dir.resolve("restored.gguf");
        try (GgufFile f = GgufFile.open(stories()); WorkerPool pool = new WorkerPool(2)) {
            new Merger(pool).merge(f, AdapterLoader.prepareLora(gguf, base, false), 1f, GgmlType.F32, merged);
        }
        try (GgufFile f = GgufFile.open(merged); WorkerPool pool = new WorkerPool(2)) {
            assertTrue(f.metadata().getString(Merger.MERGED_KEY).startsWith("lora r=4"));
            // the merged model has another fingerprint; its shape is the base's
            new Merger(pool).merge(f, AdapterLoader.prepareLora(gguf, BaseFingerprint.of(f), false), -1f, GgmlType.F32, restored);
        }
        try (Model model = Model.load(merged, 1)) {
            for (Case c : cases) if (c.weight() == 1f) assertArrayEquals(c.expected(), greedy(model, c, List.of()), "merged: " + c.prompt());
        }
        try (Model model = Model.load(restored, 1)) {
            for (Case c : cases) if (c.weight() == 0f) assertArrayEquals(c.expected(), greedy(model, c, List.of()), "unmerged: " + c.prompt());
        }
        try (GgufFile a = GgufFile.open(stories()); GgufFile b = GgufFile.open(restored)) {
            var wa = a.findTensor("blk.2.attn_q.weight").data();
            var wb = b.findTensor("blk.2.attn_q.weight").data();
            float max = 0;
            for (long i = 0; i < wa.byteSize() / 4; i++) {
                max = Math.max(max, Math.abs(wa.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i)
                        - wb.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i)));
            }
            assertTrue(max < 1e-5f, "unmerged weights differ by " + max);
        }
    }

    @Test
    void peftExportAndGgufWriteRoundTrip(@TempDir Path dir) throws IOException {
        LoraFile file = LoraFile.read(gguf);
        LoraFile fromPeft = PeftLora.read(resource("stories-lora-peft")).toLoraFile(base);
        for (LoraMatrices m : file.sites().values()) {
            LoraMatrices p = fromPeft.sites().get(m.site());
            assertArrayEquals(m.a(), p.a(), m.site().toString());
            assertArrayEquals(m.b(), p.b(), m.site() + ": q/k rows must come back in llama.cpp's order");
            assertEquals(m.scale(), p.scale(), 1e-6f, "rsLoRA alpha 4 over sqrt(4) is llama.cpp's 8 / 4");
        }
        Path exported = dir.resolve("peft");
        PeftLora.of(file, base).write(exported);
        LoraFile back = PeftLora.read(exported).toLoraFile(base);
        Path written = dir.resolve("written.gguf");
        back.write(written, GgmlType.F32);
        LoraFile again = LoraFile.read(written);
        assertEquals(Optional.of(base), again.base(), "a file written here records its base");
        for (LoraMatrices m : file.sites().values()) {
            LoraMatrices x = again.sites().get(m.site());
            assertArrayEquals(m.a(), x.a());
            assertArrayEquals(m.b(), x.b());
            assertEquals(m.scale(), x.scale());
        }
    }

    @Test
    void anotherBaseIsRefused(@TempDir Path dir) throws IOException {
        LoraFile llamaCpp = LoraFile.read(gguf);
        BaseFingerprint wider = new BaseFingerprint("llama", 5, 128, 172, 8, 4, 16, 512, base.hash());
        var e = assertThrows(IllegalArgumentException.class, () -> LoraWeights.prepare(llamaCpp, wider, "stories-lora.gguf", false));
        assertTrue(e.getMessage().contains("was made for a different base model"), e.getMessage());
        BaseFingerprint qwen = new BaseFingerprint("qwen2", 5, 64, 172, 8, 4, 8, 512, base.hash());
        e = assertThrows(IllegalArgumentException.class, () -> LoraWeights.prepare(llamaCpp, qwen, "x", false));
        assertTrue(e.getMessage().contains("is a LoRA for llama models"), e.getMessage());
        // a file written here records its base's fingerprint: the same shape with other weights is refused too
        Path mine = dir.resolve("mine.gguf");
        new LoraFile("llama", Optional.of(base), llamaCpp.sites()).write(mine, GgmlType.F16);
        BaseFingerprint retrained = new BaseFingerprint("llama", 5, 64, 172, 8, 4, 8, 512, "ffffffffffffffffffffffffffffffff");
        e = assertThrows(IllegalArgumentException.class, () -> AdapterLoader.prepareLora(mine, retrained, false));
        assertTrue(e.getMessage().contains("fingerprint"), e.getMessage());
        assertNotNull(AdapterLoader.prepareLora(mine, retrained, true), "--force accepts the same shape");
    }
}
