package dev.vera4j.engine.model;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufTensor;
import dev.vera4j.gguf.GgufValue;
import dev.vera4j.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.*;

class ModelWeightsTest {
    @TempDir Path dir;

    /** tiny-mistral rewritten without the tensors {@code drop} matches and with one metadata change. */
    Path variant(Predicate<String> drop, String key, GgufValue value) throws IOException {
        try (GgufFile f = GgufFile.open(TinyModels.write("tiny-mistral", dir))) {
            GgufWriter w = new GgufWriter().putAll(f.metadata());
            if (key != null) w.put(key, value);
            for (GgufTensor t : f.tensors().values()) if (!drop.test(t.name())) w.addTensor(t.name(), t.type(), t.shape(), t.data());
            Path out = dir.resolve("variant.gguf");
            w.write(out);
            return out;
        }
    }

    static String loadError(Path p) {
        try (GgufFile f = GgufFile.open(p)) {
            ModelConfig c = ModelConfig.fromMetadata(f.metadata());
            return assertThrows(ModelConfigException.class, () -> ModelWeights.of(f, c)).getMessage();
        }
    }

    @Test
    void viewsOfTheMappingNotCopies() {
        try (GgufFile f = GgufFile.open(ReferenceData.stories())) {
            ModelConfig c = ModelConfig.fromMetadata(f.metadata());
            ModelWeights w = ModelWeights.of(f, c);
            assertEquals(f.tensor("blk.3.ffn_down.weight").data().address(), w.layer(3).down().data().address());
            assertTrue(w.layer(0).wq().data().isNative(), "weights live in the mapping");
            assertFalse(w.tiedEmbeddings());
            float[] row = new float[c.dim() + 2];
            w.embedding(403, row, 2);
            assertEquals(f.tensor("token_embd.weight").data().getAtIndex(ModelWeights.F32, 403L * c.dim() + 5), row[7]);
            assertThrows(IllegalArgumentException.class, () -> w.embedding(512, row, 0));
        }
    }

    @Test
    void matricesAreTheOutputThenEachLayersSeven() {
        try (GgufFile f = GgufFile.open(ReferenceData.stories())) {
            ModelWeights w = ModelWeights.of(f, ModelConfig.fromMetadata(f.metadata()));
            var all = w.matrices();
            assertEquals(1 + 7 * 5, all.size());
            assertSame(w.output(), all.get(0));
            assertSame(w.layer(0).wq(), all.get(1));
            assertSame(w.layer(4).down(), all.get(all.size() - 1));
        }
    }

    @Test
    void matricesSeeTheMappingAsPlainNativeMemoryAndTheirMappedPagesCanStillBeReleased() {
        try (GgufFile f = GgufFile.open(ReferenceData.stories()); dev.vera4j.simd.WorkerPool pool = new dev.vera4j.simd.WorkerPool(1);
             PackedCopies copies = PackedCopies.open(f, null, pool)) {
            ModelWeights w = ModelWeights.of(f, ModelConfig.fromMetadata(f.metadata()));
            var down = w.layer(3).down();
            var tensor = f.tensor("blk.3.ffn_down.weight").data();
            assertTrue(tensor.isMapped());
            // one segment class for every kernel input (mapped rows and packed copies alike): see Weights
            assertFalse(down.data().isMapped());
            assertEquals(tensor.address(), down.data().address());
            assertEquals(tensor.byteSize(), down.data().byteSize());
            assertTrue(down.data().isReadOnly());
            assertEquals(tensor.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 77), down.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 77));
            if (System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("linux")) {
                assertTrue(copies.releaseSource(down), "the tensor's mapped pages are released");
                assertTrue(copies.releaseSource(w.layer(0).wk()), "another matrix");
            }
            assertEquals(tensor.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 77), down.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 77), "released pages read back");
        }
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        String e = loadError(variant(n -> n.equals("blk.1.ffn_up.weight"), null, null));
        assertEquals("tensor 'blk.1.ffn_up.weight' is missing", e);
    }

    @Test
    void shapeThatContradictsTheMetadataIsNamed() throws IOException {
        String e = loadError(variant(n -> false, "mistral.feed_forward_length", GgufValue.ofUInt32(40)));
        assertTrue(e.contains("blk.0.ffn_gate.weight") && e.contains("[32, 40]"), e);
    }

    @Test
    void missingOutputMeansTiedEmbeddings() throws IOException {
        try (GgufFile f = GgufFile.open(variant(n -> n.equals("output.weight"), null, null))) {
            ModelWeights w = ModelWeights.of(f, ModelConfig.fromMetadata(f.metadata()));
            assertTrue(w.tiedEmbeddings());
            assertEquals(GgmlType.F32, w.output().type());
        }
    }
}
