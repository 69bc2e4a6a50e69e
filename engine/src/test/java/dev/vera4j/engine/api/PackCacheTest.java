package dev.vera4j.engine.api;

import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.PackedCopies;
import dev.vera4j.engine.model.ReferenceData;
import dev.vera4j.gguf.GgmlType;
import dev.vera4j.simd.Weights;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link LoadOptions#packCache}: the first load writes the packed copies, the next maps them (nothing packed) with the
 * same logits and tokens; a changed model, a damaged file or a read-only folder only cost a repack; files of models
 * that are gone or changed are deleted at the next write.
 */
class PackCacheTest {
    @TempDir Path dir;
    Path model, cache;

    @BeforeEach
    void setUp() throws IOException {
        assumeTrue(Weights.packingEnabled(), "packed copies need 512-bit int8 kernels");
        model = ReferenceData.quantizedStories(GgmlType.Q4_0, dir.resolve("stories-q4_0.gguf"));
        cache = dir.resolve("cache");
    }

    private record Run(int packedNow, int readFromCache, float[] logits, int[] tokens) {}

    private Run load(Path file, Path folder) {
        LoadOptions o = LoadOptions.builder().threads(2).packCache(folder).build();
        try (Model m = Model.load(file, o)) {
            PackedCopies c = ((CpuBackend) m.backend()).copies();
            ReferenceData ref = ReferenceData.all().get(0);
            Session s = m.newSession(128, KvType.F32);
            int[] tokens = s.generate(ref.promptIds(), GenerateOptions.greedy(24), GenerationListener.NONE).tokens();
            Session t = m.newSession(128, KvType.F32);
            float[] logits = t.ingest(ref.promptIds()).clone();
            return new Run(c.packedNow(), c.readFromCache(), logits, tokens);
        }
    }

    private List<Path> cacheFiles() throws IOException {
        try (Stream<Path> s = Files.list(cache)) {
            return s.filter(p -> p.toString().endsWith(".packed.gguf")).sorted().toList();
        }
    }

    @Test
    void theSecondLoadMapsWhatTheFirstPackedWithTheSameLogits() throws IOException {
        Run none = load(model, null);
        Run first = load(model, cache);
        assertTrue(first.packedNow() > 0, "the first load packs");
        assertEquals(0, first.readFromCache());
        assertEquals(1, cacheFiles().size());
        Run second = load(model, cache);
        assertEquals(0, second.packedNow(), "nothing packed again");
        assertEquals(first.packedNow(), second.readFromCache());
        // the same copies (PackedFileTest checks the bytes); the panel's threads may sum in another order
        assertArrayEquals(none.logits(), first.logits(), 1e-4f);
        assertArrayEquals(first.logits(), second.logits(), 1e-4f);
        assertArrayEquals(none.tokens(), second.tokens());
        assertArrayEquals(first.tokens(), second.tokens());
    }

    @Test
    void aChangedModelIsPackedAgainAndItsOldFileDeleted() throws IOException {
        load(model, cache);
        Path old = cacheFiles().getFirst();
        Files.setLastModifiedTime(model, FileTime.fromMillis(Files.getLastModifiedTime(model).toMillis() + 5000));
        Run again = load(model, cache);
        assertTrue(again.packedNow() > 0, "a changed model's copies are not trusted");
        assertEquals(1, cacheFiles().size());
        assertNotEquals(old, cacheFiles().getFirst(), "the stale file is deleted, the new one written");
    }

    @Test
    void aDamagedFileIsIgnoredAndRewritten() throws IOException {
        Run first = load(model, cache);
        Path f = cacheFiles().getFirst();
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() / 2);
        }
        Run again = load(model, cache);
        assertEquals(first.packedNow(), again.packedNow());
        assertArrayEquals(first.logits(), again.logits(), 1e-4f);
        assertEquals(0, load(model, cache).packedNow(), "rewritten whole");
    }

    @Test
    void filesOfModelsThatAreGoneAreDeletedAtTheNextWrite() throws IOException {
        Path other = Files.copy(model, dir.resolve("other.gguf"));
        load(other, cache);
        assertEquals(1, cacheFiles().size());
        Files.delete(other);
        load(model, cache);
        List<Path> left = cacheFiles();
        assertEquals(1, left.size());
        assertTrue(left.getFirst().getFileName().toString().startsWith("stories-q4_0-"), left.toString());
    }

    @Test
    void aFolderThatCannotBeWrittenOnlyCostsTheCache() throws IOException {
        Path blocked = Files.writeString(dir.resolve("not-a-folder"), "x");   // a file where the folder should be
        Run run = load(model, blocked.resolve("packed"));
        assertTrue(run.packedNow() > 0);
        assertArrayEquals(load(model, null).logits(), run.logits(), 1e-4f);
    }
}
