package dev.vera4j.engine.backend.cpu;

import dev.vera4j.engine.backend.Batch;
import dev.vera4j.engine.backend.Sequence;
import dev.vera4j.engine.kv.ContextOverflowException;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.ActivationRecorder;
import dev.vera4j.engine.model.LinearHook;
import dev.vera4j.engine.model.LinearSite;
import dev.vera4j.engine.model.ModelWeights;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.engine.model.ReferenceData;
import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.simd.WorkerPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Steps of several sequences at once: a mixed batch (sequences prefilling several tokens and decoding one, at
 * different positions, with F32 and F16 caches, each with its own hooks or recorder) gives every sequence the logits
 * it gets when it runs alone, and a decode step of several sequences allocates nothing.
 *
 * <p>Tolerance: the batch's products run over all its rows, so a sequence's rows go through other kernels than alone
 * (a one-token product takes the matrix-vector kernels, eight tokens or more the panel GEMM). With F32 weights they
 * only sum in another order: 2e-4 on logits with an F32 cache (the bound of batched against one-token prefill; measured
 * under 2e-5), 1e-2 with an F16 cache (a key or value can round to a neighbouring half). With Q8_0 and Q4_0 weights a
 * one-token product quantizes its input to int8 blocks (llama.cpp's route) where the batch's products read floats:
 * measured up to 0.17 on logits of magnitude 10 to 20, so 0.3 there. In every case the greedy token of every logits row
 * is the same.
 */
class MultiSequenceStepTest {
    /** {@code y[r] += scale · x[(r·7) mod in]} at one site: a cheap hook whose effect depends on its rows only. */
    record Shift(LinearSite at, float scale, List<String> calls) implements LinearHook {
        @Override
        public void addDelta(LinearSite site, float[] x, int xOff, float[] y, int yOff, int n, int in, int out) {
            calls.add(site + "@" + xOff / in + "+" + n);
            if (!site.equals(at)) return;
            for (int t = 0; t < n; t++) for (int r = 0; r < out; r++) y[yOff + t * out + r] += scale * x[xOff + t * in + (r * 7) % in];
        }
    }

    /** What one sequence brings to the test: its cache type, history, the tokens of the shared step, hooks. */
    record Plan(KvType type, int[] history, int[] tokens, boolean allLogits, LinearSite hookAt, float hookScale) {}

    static int[] ids(int n, int seed) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = 1 + (i * 37 + seed * 101) % 511;
        return a;
    }

    static final List<Plan> PLANS = List.of(
            new Plan(KvType.F32, new int[0], ids(9, 1), false, new LinearSite(1, LinearSite.Kind.Q), 0.3f),    // fresh prefill
            new Plan(KvType.F32, ids(20, 2), ids(1, 3), false, new LinearSite(3, LinearSite.Kind.DOWN), -0.2f), // decode at 20
            new Plan(KvType.F32, ids(5, 4), ids(40, 5), true, null, 0f),                                       // prefill over two attention blocks, all logits
            new Plan(KvType.F32, new int[0], ids(1, 6), false, LinearSite.output(), 0.1f),                     // decode at 0
            new Plan(KvType.F16, ids(50, 7), ids(1, 8), false, new LinearSite(0, LinearSite.Kind.V), 0.5f),    // decode at 50, F16
            new Plan(KvType.F16, ids(3, 9), ids(6, 10), true, new LinearSite(4, LinearSite.Kind.GATE), 0.4f)); // short prefill, F16

    /** A sequence of {@code plan} with its history already in the cache (fed alone), and its hook, if any. */
    static Sequence prepared(CpuBackend backend, CpuActivations act, Plan plan, List<String> calls) {
        Sequence s = new Sequence(backend.newCache(plan.type(), 96));
        if (plan.history().length > 0) {
            backend.step(act, Batch.of(s, plan.history(), 0, plan.history().length, false), new float[backend.config().vocabSize()]);
        }
        if (plan.hookAt() != null) s.addHook(new Shift(plan.hookAt(), plan.hookScale(), calls));
        return s;
    }

    @ParameterizedTest
    @ValueSource(strings = {"F32", "Q8_0", "Q4_0"})
    void aMixedBatchGivesEachSequenceItsLogitsAlone(String weights, @TempDir Path dir) throws IOException {
        Path model = weights.equals("F32") ? ReferenceData.stories()
                : ReferenceData.quantizedStories(GgmlType.valueOf(weights), dir.resolve(weights + ".gguf"));
        try (GgufFile f = GgufFile.open(model); WorkerPool pool = new WorkerPool(2)) {
            ModelConfig c = ModelConfig.fromMetadata(f.metadata());
            CpuBackend backend = new CpuBackend(c, ModelWeights.of(f, c), pool);
            int vocab = c.vocabSize();
            CpuActivations act = backend.newActivations(64, 96, false);
            // alone: each sequence's step by itself
            List<float[]> alone = new ArrayList<>();
            for (Plan p : PLANS) {
                Sequence s = prepared(backend, act, p, new ArrayList<>());
                float[] logits = new float[(p.allLogits() ? p.tokens().length : 1) * vocab];
                backend.step(act, Batch.of(s, p.tokens(), 0, p.tokens().length, p.allLogits()), logits);
                alone.add(logits);
            }
            // together: the same sequences, the same histories, one step
            List<List<String>> calls = new ArrayList<>();
            Batch batch = new Batch(64);
            List<Sequence> together = new ArrayList<>();
            for (Plan p : PLANS) {
                calls.add(new ArrayList<>());
                Sequence s = prepared(backend, act, p, calls.getLast());
                together.add(s);
                batch.add(s, p.tokens(), 0, p.tokens().length, p.allLogits());
            }
            int[] stats = {0};
            together.get(3).recorder((layer, point, data, off, n, width) -> {
                assertEquals(1, n, point.name());
                assertEquals(point == ActivationRecorder.Point.FINAL_NORM ? batch.logitsRow(3) * width : batch.first(3) * width, off, point.name());   // its last row
                stats[0]++;
            });
            float[] logits = new float[batch.logitsRows() * vocab];
            backend.step(act, batch, logits);
            // every block point stories has (no q/k norms, post-norms or experts) in each block, FINAL_INPUT and FINAL_NORM once
            long blockPoints = java.util.Arrays.stream(ActivationRecorder.Point.values()).filter(p -> p.recordedBy(c)).count() - 2;
            assertEquals(11, blockPoints);
            assertEquals(blockPoints * c.blockCount() + 2, stats[0], "recorded points");
            for (int e = 0; e < PLANS.size(); e++) {
                Plan p = PLANS.get(e);
                assertEquals(p.history().length + p.tokens().length, together.get(e).position());
                float tol = !weights.equals("F32") ? 0.3f : p.type() == KvType.F32 ? 2e-4f : 1e-2f;
                for (int row = 0; row < batch.logitsCount(e); row++) {
                    int base = (batch.logitsRow(e) + row) * vocab;
                    for (int i = 0; i < vocab; i++) {
                        assertEquals(alone.get(e)[row * vocab + i], logits[base + i], tol, weights + " sequence " + e + " row " + row + " logit " + i);
                    }
                    assertEquals(argmax(alone.get(e), row * vocab, vocab), argmax(logits, base, vocab), "greedy token of sequence " + e + " row " + row);
                }
                // its hook saw its own rows only: 7 sites per block and the output, at its first row
                List<String> seen = calls.get(e);
                if (p.hookAt() == null) continue;
                assertEquals(7 * c.blockCount() + 1, seen.size());
                String rows = "@" + batch.first(e) + "+" + p.tokens().length;
                for (String call : seen.subList(0, seen.size() - 1)) assertTrue(call.endsWith(rows), call + " for " + rows);
                assertTrue(seen.getLast().endsWith("@" + batch.logitsRow(e) + "+" + batch.logitsCount(e)), seen.getLast());
            }
        }
    }

    @Test
    void aBatchThatDoesNotFitChangesNothing() {
        try (GgufFile f = GgufFile.open(ReferenceData.stories()); WorkerPool pool = new WorkerPool(1)) {
            ModelConfig c = ModelConfig.fromMetadata(f.metadata());
            CpuBackend backend = new CpuBackend(c, ModelWeights.of(f, c), pool);
            CpuActivations act = backend.newActivations(16, 8, false);
            Sequence roomy = new Sequence(backend.newCache(KvType.F32, 8)), full = new Sequence(backend.newCache(KvType.F32, 4));
            backend.step(act, Batch.of(full, ids(3, 1), 0, 3, false), new float[c.vocabSize()]);
            Batch b = new Batch(16).add(roomy, ids(2, 2), 0, 2, false).add(full, ids(2, 3), 0, 2, false);
            assertThrows(ContextOverflowException.class, () -> backend.step(act, b, new float[2 * c.vocabSize()]));
            assertEquals(0, roomy.position());
            assertEquals(3, full.position());
            var twice = assertThrows(IllegalArgumentException.class, () -> new Batch(16).add(roomy, ids(1, 1), 0, 1, false).add(roomy, ids(1, 1), 0, 1, false));
            assertTrue(twice.getMessage().contains("already"), twice.getMessage());
            assertThrows(IllegalArgumentException.class, () -> backend.step(act, Batch.of(roomy, ids(2, 2), 0, 2, true), new float[c.vocabSize()]),
                    "two rows of logits need two rows");
            CpuBackend other = new CpuBackend(c, ModelWeights.of(f, c), pool);
            assertThrows(IllegalArgumentException.class, () -> other.step(act, Batch.of(roomy, ids(1, 2), 0, 1, false), new float[c.vocabSize()]));
        }
    }

    /** Four sequences decoding together, with hooks, allocate nothing per step, on the calling thread or the worker. */
    @Test
    void aDecodeStepOfSeveralSequencesAllocatesNothing() {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.vera4j.simd.MatMul.int8Kernels(), "decoding without allocation is guaranteed with the 512-bit int8 kernels (AVX-512); this CPU runs the float kernels (README, Limitations)");
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (GgufFile f = GgufFile.open(ReferenceData.stories()); WorkerPool pool = new WorkerPool(2)) {
            ModelConfig c = ModelConfig.fromMetadata(f.metadata());
            CpuBackend backend = new CpuBackend(c, ModelWeights.of(f, c), pool);
            CpuActivations act = backend.newActivations(4, 512, false);
            Sequence[] seqs = new Sequence[4];
            for (int i = 0; i < seqs.length; i++) {
                seqs[i] = new Sequence(backend.newCache(i % 2 == 0 ? KvType.F16 : KvType.F32, 512));
                seqs[i].addHook((site, x, xOff, y, yOff, n, in, out) -> y[yOff] += 0f);
            }
            Batch batch = new Batch(4);
            float[] logits = new float[4 * c.vocabSize()];
            for (int i = 1; i < seqs.length; i++) backend.step(act, batch.clear().add(seqs[i], ids(i, i), 0, i, false), logits);
            int[] one = new int[1];
            long worker = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().startsWith("vera4j-worker-")).findFirst().orElseThrow().threadId();
            long allocated = -1, workerAllocated = -1;
            // until C2 has compiled the kernels the Vector API and escape analysis still allocate; a real per-step
            // allocation would show in every round
            // until C2 has compiled the kernels: on a loaded machine its queue can take a minute
            for (long until = System.nanoTime() + 120_000_000_000L; (allocated != 0 || workerAllocated != 0) && System.nanoTime() < until; ) {
                for (int i = 0; i < seqs.length; i++) seqs[i].cache().truncate(i);   // different positions
                long workerBefore = threads.getThreadAllocatedBytes(worker);
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int step = 0; step < 100; step++) {
                    batch.clear();
                    for (int i = 0; i < seqs.length; i++) {
                        one[0] = (step * 37 + i * 11) % c.vocabSize();
                        batch.add(seqs[i], one, 0, 1, false);
                    }
                    backend.step(act, batch, logits);
                }
                allocated = threads.getCurrentThreadAllocatedBytes() - before;
                workerAllocated = threads.getThreadAllocatedBytes(worker) - workerBefore;
            }
            assertEquals(0, allocated, "bytes allocated by the calling thread in 100 decode steps of 4 sequences in the steady state");
            assertEquals(0, workerAllocated, "bytes allocated by the worker in 100 decode steps of 4 sequences in the steady state");
        }
    }

    static int argmax(float[] v, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (v[off + i] > v[off + best]) best = i;
        return best;
    }
}
