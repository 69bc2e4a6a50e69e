package dev.vera4j.engine.model;

import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.simd.Weights;
import dev.vera4j.simd.WorkerPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** A hook that adds ΔW·x must change the logits exactly as running with W + ΔW does. */
class LinearHookTest {
    /** Δy = B·(A·x) for one site: a dense random rank-r update. */
    record LowRank(LinearSite target, float[] a, float[] b, int rank, int in, int out) implements LinearHook {
        static LowRank random(LinearSite target, int in, int out, int rank, long seed) {
            Random r = new Random(seed);
            float[] a = new float[rank * in], b = new float[out * rank];
            for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian() * 0.3f;
            for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian() * 0.3f;
            return new LowRank(target, a, b, rank, in, out);
        }

        float delta(int row, int col) {
            float s = 0;
            for (int k = 0; k < rank; k++) s += b[row * rank + k] * a[k * in + col];
            return s;
        }

        @Override
        public void addDelta(LinearSite site, float[] x, int xOff, float[] y, int yOff, int n, int inDim, int outDim) {
            if (!site.equals(target)) return;
            assertEquals(in, inDim);
            assertEquals(out, outDim);
            float[] ax = new float[rank];
            for (int t = 0; t < n; t++) {
                for (int k = 0; k < rank; k++) {
                    float s = 0;
                    for (int c = 0; c < in; c++) s += a[k * in + c] * x[xOff + t * in + c];
                    ax[k] = s;
                }
                for (int r = 0; r < out; r++) {
                    float s = 0;
                    for (int k = 0; k < rank; k++) s += b[r * rank + k] * ax[k];
                    y[yOff + t * out + r] += s;
                }
            }
        }
    }

    static final int[] PROMPT = {1, 385, 328, 432, 261, 370, 268, 315, 418};

    static float[] allLogits(CpuBackend tf, LinearHook hook) { return allLogits(tf, hook, PROMPT, 290); }

    /** Logits of every token of {@code prompt}, then of {@code next} through the one-token (decode) path. */
    static float[] allLogits(CpuBackend tf, LinearHook hook, int[] prompt, int next) {
        ModelConfig c = tf.config();
        OneSequence s = new OneSequence(tf, KvType.F32, prompt.length, 32);
        if (hook != null) s.hook(hook);
        float[] logits = new float[(prompt.length + 1) * c.vocabSize()];
        s.forward(prompt, 0, prompt.length, logits, true);
        float[] last = new float[c.vocabSize()];
        s.forward(new int[] {next}, 0, 1, last, false);
        System.arraycopy(last, 0, logits, prompt.length * c.vocabSize(), last.length);
        return logits;
    }

    /**
     * Mixture-of-experts sites (every expert's gate, up and down of the last layer, the shared expert's) and Phi-3's
     * views of fused tensors: a hook there changes the logits as the updated matrix does, in prefill (rows gathered
     * by expert) and in decode.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-mixtral", "tiny-qwen2moe", "tiny-qwen3moe", "tiny-phi3"})
    void hooksAtExpertAndFusedSitesEqualUpdatedWeights(String name, @TempDir Path dir) throws Exception {
        int[] prompt = {5, 17, 33, 2, 60, 41, 8, 19, 27, 50, 12, 3};
        try (GgufFile f = GgufFile.open(TinyModels.write(name, dir)); WorkerPool pool = new WorkerPool(2); Arena arena = Arena.ofShared()) {
            ModelConfig c = ModelConfig.fromMetadata(f.metadata());
            ModelWeights w = ModelWeights.of(f, c);
            CpuBackend base = new CpuBackend(c, w, pool);
            float[] plain = allLogits(base, null, prompt, 7);
            int last = c.blockCount() - 1;
            List<LinearSite> sites = new ArrayList<>();
            for (LinearSite.Kind k : LinearSite.Kind.values()) {
                if (k == LinearSite.Kind.OUTPUT) continue;
                for (int e = 0; e < (k.expert() && c.moe() ? c.experts().count() : 1); e++) {
                    LinearSite site = new LinearSite(last, k, k.expert() ? e : LinearSite.NO_EXPERT);
                    if (w.matrix(site) != null && (c.moe() ? k.ordinal() >= LinearSite.Kind.GATE_EXP.ordinal() : k != LinearSite.Kind.O && k != LinearSite.Kind.DOWN)) sites.add(site);
                }
            }
            assertEquals(c.moe() ? 3 * c.experts().count() + (c.experts().shared() ? 3 : 0) : 5, sites.size());
            for (LinearSite site : sites) {
                Weights target = w.matrix(site);
                LowRank hook = LowRank.random(site, target.cols(), target.rows(), 3, site.hashCode());
                float[] hooked = allLogits(base, hook, prompt, 7);
                float[] updated = allLogits(new CpuBackend(c, withUpdate(w, hook, arena), pool), null, prompt, 7);
                double changed = 0;
                for (int i = 0; i < plain.length; i++) {
                    assertEquals(updated[i], hooked[i], 2e-4f, name + " " + site + " logit " + i);
                    changed = Math.max(changed, Math.abs(hooked[i] - plain[i]));
                }
                assertTrue(changed > 1e-3, name + " " + site + " hook changed the logits by only " + changed);
            }
        }
    }

    /** The model's weights with {@code W + ΔW} at the hook's site, as an F32 copy. */
    static ModelWeights withUpdate(ModelWeights w, LowRank h, Arena arena) {
        Weights old = w.matrix(h.target());
        MemorySegment seg = arena.allocate((long) old.rows() * old.cols() * 4, 4);
        float[] row = new float[old.cols()];
        for (int r = 0; r < old.rows(); r++) {
            dev.vera4j.gguf.types.Codecs.of(old.type()).dequantizeReference(old.data(), r * old.rowBytes(), row, 0, old.cols());
            for (int c = 0; c < old.cols(); c++) seg.set(ModelWeights.F32, ((long) r * old.cols() + c) * 4, row[c] + h.delta(r, c));
        }
        return w.replacing(old, new Weights(seg, GgmlType.F32, old.rows(), old.cols()));
    }

    @Test
    void hookDeltaEqualsUpdatedWeightsAtEverySiteKind() {
        try (GgufFile f = GgufFile.open(ReferenceData.stories()); WorkerPool pool = new WorkerPool(2); Arena arena = Arena.ofShared()) {
            ModelConfig c = ModelConfig.fromMetadata(f.metadata());
            ModelWeights w = ModelWeights.of(f, c);
            CpuBackend base = new CpuBackend(c, w, pool);
            float[] plain = allLogits(base, null);
            List<LinearSite> sites = new ArrayList<>();
            int layer = 0;
            for (LinearSite.Kind k : LinearSite.Kind.values()) {
                LinearSite site = k == LinearSite.Kind.OUTPUT ? LinearSite.output() : new LinearSite(layer % c.blockCount(), k, k.expert() ? 0 : -1);
                if (w.matrix(site) != null) sites.add(site);   // a dense llama has no expert sites (MoeForwardTest tests those)
                layer++;
            }
            assertEquals(8, sites.size());
            for (LinearSite site : sites) {
                Weights target = w.matrix(site);
                LowRank hook = LowRank.random(site, target.cols(), target.rows(), 3, site.hashCode());
                float[] hooked = allLogits(base, hook);
                float[] updated = allLogits(new CpuBackend(c, withUpdate(w, hook, arena), pool), null);
                double changed = 0;
                for (int i = 0; i < plain.length; i++) {
                    assertEquals(updated[i], hooked[i], 2e-4f, site + " logit " + i);
                    changed = Math.max(changed, Math.abs(hooked[i] - plain[i]));
                }
                assertTrue(changed > 0.05, site + " hook changed the logits by only " + changed);
            }
        }
    }

    @Test
    void hooksSeeEverySiteOncePerPassAndCanBeRemoved() {
        try (GgufFile f = GgufFile.open(ReferenceData.stories()); WorkerPool pool = new WorkerPool(1)) {
            ModelConfig c = ModelConfig.fromMetadata(f.metadata());
            CpuBackend tf = new CpuBackend(c, ModelWeights.of(f, c), pool);
            List<String> seen = new ArrayList<>();
            LinearHook spy = (site, x, xOff, y, yOff, n, in, out) -> seen.add(site + "/" + n);
            OneSequence s = new OneSequence(tf, KvType.F32, 4, 16).hook(spy);
            float[] logits = new float[c.vocabSize()];
            s.forward(new int[] {1, 403, 407}, 0, 3, logits, false);
            assertEquals(7 * c.blockCount() + 1, seen.size());
            assertEquals("0.q/3", seen.getFirst());
            assertEquals("output/1", seen.getLast());
            assertTrue(s.sequence.removeHook(spy));
            assertFalse(s.sequence.removeHook(spy));
            seen.clear();
            s.forward(new int[] {261}, 0, 1, logits, false);
            assertTrue(seen.isEmpty());
        }
    }
}
