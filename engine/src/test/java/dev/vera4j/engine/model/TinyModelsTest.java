package dev.vera4j.engine.model;

import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.simd.WorkerPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Tiny random models of each architecture against an independent numpy forward pass written from the Hugging Face
 * formulas (src/test/resources/tiny-models/make_tiny_models.py; the models themselves are written by {@link TinyModels}): NEOX RoPE, q/k/v biases and tied embeddings (qwen2),
 * q/k norms and a head size other than dim/heads (qwen3), llama.cpp's q/k permutation with adjacent-pair RoPE and
 * Llama-3.1 rope_freqs (llama), grouped-query attention with one kv head (mistral).
 */
class TinyModelsTest {
    @TempDir
    Path tmp;

    static Path resource(String name) {
        try {
            return Path.of(TinyModelsTest.class.getResource("/tiny-models/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama3", "tiny-qwen2", "tiny-qwen3", "tiny-mistral"})
    void logitsOfEveryPositionMatchTheReference(String name) throws IOException {
        List<String> lines = Files.readAllLines(resource(name + ".expected.txt"));
        int[] ids = null;
        List<float[]> expected = new ArrayList<>();
        for (String line : lines) {
            if (line.startsWith("prompt_ids:")) ids = Arrays.stream(line.substring(11).trim().split(" ")).mapToInt(Integer::parseInt).toArray();
            if (line.startsWith("logits:")) {
                String[] p = line.substring(7).trim().split(" ");
                float[] row = new float[p.length];
                for (int i = 0; i < p.length; i++) row[i] = Float.parseFloat(p[i]);
                expected.add(row);
            }
        }
        assertNotNull(ids);
        assertArrayEquals(TinyModels.promptIds(name), ids, "the reference was computed for the weights TinyModels writes");
        try (GgufFile f = GgufFile.open(TinyModels.write(name, tmp)); WorkerPool pool = new WorkerPool(2)) {
            ModelConfig c = ModelConfig.fromMetadata(f.metadata());
            LlamaWeights w = LlamaWeights.of(f, c);
            CpuBackend tf = new CpuBackend(c, w, pool);
            int n = ids.length, vocab = c.vocabSize();
            float[] batched = new float[n * vocab];
            new OneSequence(tf, KvType.F32, n, 32).forward(ids, 0, n, batched, true);
            OneSequence one = new OneSequence(tf, KvType.F32, 1, 32);
            float[] step = new float[vocab];
            for (int t = 0; t < n; t++) {
                one.forward(ids, t, 1, step, false);
                for (int i = 0; i < vocab; i++) {
                    assertEquals(expected.get(t)[i], batched[t * vocab + i], 1e-3f, name + " batched, position " + t + " logit " + i);
                    assertEquals(batched[t * vocab + i], step[i], 1e-4f, name + " one at a time, position " + t + " logit " + i);
                }
            }
            switch (c.architecture()) {
                case "qwen2" -> { assertTrue(w.tiedEmbeddings()); assertNotNull(w.layer(0).bq()); assertEquals(RopeType.NEOX, c.ropeType()); }
                case "qwen3" -> { assertEquals(16, c.headDim()); assertEquals(64, c.qDim()); assertNotNull(w.layer(1).kNorm()); }
                case "llama" -> { assertTrue(w.tiedEmbeddings()); assertNotNull(w.ropeFreqs()); assertEquals(RopeType.NORM, c.ropeType()); }
                case "mistral" -> { assertEquals(4, c.groupSize()); assertFalse(w.tiedEmbeddings()); }
                default -> fail(c.architecture());
            }
        }
    }

    @Test
    void llama3ScalingDivisorsMatchTheHuggingFaceRule() throws IOException {
        List<String> lines = Files.readAllLines(resource("tiny-llama3.rope-divisors.txt"));
        String[] p = lines.get(1).substring(7).trim().split(" ");
        String[] d = lines.get(2).substring(9).trim().split(" ");
        RopeScaling s = new RopeScaling(RopeScaling.Type.LLAMA3, Float.parseFloat(p[0]), Float.parseFloat(p[1]),
                Float.parseFloat(p[2]), Integer.parseInt(p[3]));
        float[] got = s.llama3Divisors(Float.parseFloat(p[4]), Integer.parseInt(p[5]));
        assertEquals(d.length, got.length);
        for (int i = 0; i < d.length; i++) assertEquals(Float.parseFloat(d[i]), got[i], 1e-5f, "pair " + i);
        assertTrue(Arrays.stream(d).anyMatch(v -> Float.parseFloat(v) > 1 && Float.parseFloat(v) < 8), "the ramp is exercised");
    }
}
