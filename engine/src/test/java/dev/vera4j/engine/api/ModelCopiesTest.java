package dev.vera4j.engine.api;

import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.ModelWeights;
import dev.vera4j.engine.model.ReferenceData;
import dev.vera4j.gguf.GgmlType;
import dev.vera4j.simd.Weights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link Model#load(Path, int, boolean)}: Q4_0 matrices get regrouped copies unless asked not to, and the logits and
 * greedy picks along a generation do not change beyond the products' rounding.
 */
class ModelCopiesTest {
    /**
     * The largest difference of a logit between the two loads: their kernels quantize and sum the activations in other
     * groups and orders (measured: at most 0.33, 0.08 RMS, on logits of 10 RMS).
     */
    private static final float TOLERANCE = 0.5f;

    @Test
    void q40ModelsDecodeFromRegroupedCopiesWithTheSameTokens(@TempDir Path dir) throws IOException {
        assumeTrue(Weights.packingEnabled(), "regrouped Q4_0 needs 512-bit vectors");
        Path q4 = ReferenceData.quantizedStories(GgmlType.Q4_0, dir.resolve("stories-q4_0.gguf"));
        int[] prompt = ReferenceData.all().get(0).promptIds();
        int[] tokens;
        float[][] with, without;
        try (Model model = Model.load(q4, 2, false)) {
            assertNull(((CpuBackend) model.backend()).weights().layer(0).wq().packed());
            tokens = model.newSession(128, KvType.F32).generate(prompt, GenerateOptions.greedy(48), GenerationListener.NONE).tokens();
            without = logitsAlong(model, prompt, tokens);
        }
        try (Model model = Model.load(q4, 2)) {
            ModelWeights w = ((CpuBackend) model.backend()).weights();
            assertEquals(true, w.layer(0).wq().packed() != null && w.layer(0).wk().packed() != null && w.output().packed() != null);
            assertNull(w.layer(0).gate().packed(), "ffn_gate has 172 rows, not whole groups of 16");
            with = logitsAlong(model, prompt, tokens);
        }
        // fed the same tokens, the copies give the same logits within rounding, so greedy picks the same token wherever
        // the first load's pick leads by more than the two loads can differ
        int ties = 0;
        double squares = 0, differences = 0;
        for (int step = 0; step < tokens.length; step++) {
            for (int i = 0; i < without[step].length; i++) {
                assertEquals(without[step][i], with[step][i], TOLERANCE, "token " + step + ", logit " + i);
                squares += (double) without[step][i] * without[step][i];
                differences += (double) (with[step][i] - without[step][i]) * (with[step][i] - without[step][i]);
            }
            int pick = argmax(with[step]);
            if (pick != tokens[step]) {
                assertTrue(without[step][tokens[step]] - without[step][pick] <= 2 * TOLERANCE, "token " + step + ": " + pick + " instead of " + tokens[step]);
                ties++;
            }
        }
        assertTrue(ties <= 2, ties + " near ties in " + tokens.length + " tokens");
        assertTrue(Math.sqrt(differences / squares) < 0.02, "RMS difference " + Math.sqrt(differences / squares) + " of the logits' RMS");
    }

    /** The logits before each of {@code tokens}: after the prompt, then after each token fed in turn. */
    private static float[][] logitsAlong(Model model, int[] prompt, int[] tokens) {
        Session s = model.newSession(128, KvType.F32);
        float[][] out = new float[tokens.length][];
        out[0] = s.ingest(prompt).clone();
        for (int i = 1; i < tokens.length; i++) out[i] = s.ingest(new int[] {tokens[i - 1]}).clone();
        return out;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
