package dev.vera4j.engine.model;

import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.simd.WorkerPool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The forward pass on stories260K against llama.cpp's greedy ids and PyTorch's logits. */
class TransformerReferenceTest {
    static GgufFile file;
    static WorkerPool pool;
    static CpuBackend tf;

    @BeforeAll
    static void load() {
        file = GgufFile.open(ReferenceData.stories());
        ModelConfig c = ModelConfig.fromMetadata(file.metadata());
        pool = new WorkerPool(2);
        tf = new CpuBackend(c, ModelWeights.of(file, c), pool);
    }

    @AfterAll
    static void close() {
        pool.close();
        file.close();
    }

    static List<ReferenceData> references() { return ReferenceData.all(); }

    @ParameterizedTest
    @MethodSource("references")
    void lastPromptLogitsMatchPyTorch(ReferenceData ref) {
        int vocab = tf.config().vocabSize();
        assertEquals(vocab, ref.logits().length);
        for (KvType type : KvType.values()) {
            float[] logits = new float[vocab];
            new OneSequence(tf, type, 16, 128).forward(ref.promptIds(), 0, ref.promptIds().length, logits, false);
            float worst = 0;
            for (int i = 0; i < vocab; i++) worst = Math.max(worst, Math.abs(logits[i] - ref.logits()[i]));
            assertTrue(worst <= (type == KvType.F32 ? 2e-3f : 2e-2f), type + " worst logit error " + worst);
        }
    }

    @ParameterizedTest
    @MethodSource("references")
    void greedyMatchesLlamaCpp(ReferenceData ref) {
        ModelConfig c = tf.config();
        OneSequence s = new OneSequence(tf, KvType.F32, 16, 256);
        float[] logits = new float[c.vocabSize()];
        s.forward(ref.promptIds(), 0, ref.promptIds().length, logits, false);
        int[] out = new int[ref.generatedIds().length];
        int[] one = new int[1];
        for (int i = 0; i < out.length; i++) {
            out[i] = argmax(logits);
            one[0] = out[i];
            s.forward(one, 0, 1, logits, false);
        }
        assertArrayEquals(ref.generatedIds(), out);
    }

    @Test
    void batchedPrefillEqualsTokenByToken() {
        ModelConfig c = tf.config();
        int[] ids = ReferenceData.all().get(2).promptIds();
        int n = ids.length, vocab = c.vocabSize();
        float[] batched = new float[n * vocab];
        new OneSequence(tf, KvType.F32, n, 64).forward(ids, 0, n, batched, true);
        OneSequence s = new OneSequence(tf, KvType.F32, 1, 64);
        float[] one = new float[vocab];
        for (int t = 0; t < n; t++) {
            s.forward(ids, t, 1, one, false);
            for (int i = 0; i < vocab; i++) assertEquals(one[i], batched[t * vocab + i], 1e-4f, "token " + t + " logit " + i);
        }
        assertEquals(n, s.sequence.cache().length());
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
