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

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@link Model#load(Path, int, boolean)}: Q4_0 matrices get regrouped copies unless asked not to, and greedy output does not change. */
class ModelCopiesTest {
    @Test
    void q40ModelsDecodeFromRegroupedCopiesWithTheSameTokens(@TempDir Path dir) throws IOException {
        assumeTrue(Weights.packingEnabled(), "regrouped Q4_0 needs 512-bit vectors");
        Path q4 = ReferenceData.quantizedStories(GgmlType.Q4_0, dir.resolve("stories-q4_0.gguf"));
        ReferenceData ref = ReferenceData.all().get(0);
        int[] with, without;
        try (Model model = Model.load(q4, 2)) {
            ModelWeights w = ((CpuBackend) model.backend()).weights();
            assertEquals(true, w.layer(0).wq().packed() != null && w.layer(0).wk().packed() != null && w.output().packed() != null);
            assertNull(w.layer(0).gate().packed(), "ffn_gate has 172 rows, not whole groups of 16");
            with = model.newSession(128, KvType.F32).generate(ref.promptIds(), GenerateOptions.greedy(48), GenerationListener.NONE).tokens();
        }
        try (Model model = Model.load(q4, 2, false)) {
            assertNull(((CpuBackend) model.backend()).weights().layer(0).wq().packed());
            without = model.newSession(128, KvType.F32).generate(ref.promptIds(), GenerateOptions.greedy(48), GenerationListener.NONE).tokens();
        }
        assertArrayEquals(without, with);
    }
}
