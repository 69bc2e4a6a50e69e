package dev.vera4j.engine.model;

import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufTensor;
import dev.vera4j.gguf.GgufWriter;
import dev.vera4j.gguf.types.Codecs;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.simd.Weights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Properties of the forward pass beyond its numbers: what a recorder sees, and that decoding allocates nothing. */
class ForwardPassTest {
    @Test
    void recorderSeesEveryBlockAndItsValuesAreConsistent() {
        try (GgufFile f = GgufFile.open(ReferenceData.stories()); WorkerPool pool = new WorkerPool(1)) {
            ModelConfig c = ModelConfig.fromMetadata(f.metadata());
            ModelWeights w = ModelWeights.of(f, c);
            CpuBackend tf = new CpuBackend(c, w, pool);
            OneSequence s = new OneSequence(tf, KvType.F32, 8, 16);
            Map<String, float[]> seen = new HashMap<>();
            Map<ActivationRecorder.Point, Integer> counts = new EnumMap<>(ActivationRecorder.Point.class);
            s.sequence.recorder((layer, point, data, off, n, width) -> {
                seen.put(layer + "." + point, java.util.Arrays.copyOfRange(data, off, off + n * width));
                counts.merge(point, 1, Integer::sum);
                boolean last = point == ActivationRecorder.Point.FINAL_NORM || point == ActivationRecorder.Point.FINAL_INPUT;
                assertEquals(last ? 1 : 3, n, point.name());
            });
            int[] ids = {1, 403, 407};
            float[] logits = new float[c.vocabSize()];
            s.forward(ids, 0, 3, logits, false);
            for (ActivationRecorder.Point p : ActivationRecorder.Point.values()) {
                boolean once = p == ActivationRecorder.Point.FINAL_NORM || p == ActivationRecorder.Point.FINAL_INPUT;
                assertEquals(!p.recordedBy(c) ? null : once ? 1 : c.blockCount(), counts.get(p), p.name());
            }
            float[] emb = new float[c.dim()];
            w.embedding(407, emb, 0);
            float[] in0 = seen.get("0.BLOCK_INPUT");
            assertArrayEquals(emb, java.util.Arrays.copyOfRange(in0, 2 * c.dim(), 3 * c.dim()));
            // FFN_MIX = silu(GATE) * UP
            float[] gate = seen.get("2.GATE"), up = seen.get("2.UP"), mix = seen.get("2.FFN_MIX");
            for (int i = 0; i < gate.length; i++) assertEquals(gate[i] / (1 + Math.exp(-gate[i])) * up[i], mix[i], 1e-5);
            // FINAL_NORM = rmsNorm(FINAL_INPUT), and logits = output · FINAL_NORM (last token only)
            float[] fin = seen.get("-1.FINAL_NORM"), finIn = seen.get("-1.FINAL_INPUT");
            double ss = 0;
            for (float v : finIn) ss += v * v;
            double inv = 1 / Math.sqrt(ss / c.dim() + c.rmsEps());
            for (int k = 0; k < c.dim(); k++) assertEquals(finIn[k] * inv * w.outputNorm().getAtIndex(ModelWeights.F32, k), fin[k], 1e-4);
            assertEquals(c.dim(), fin.length);
            for (int r = 0; r < c.vocabSize(); r += 37) {
                double dot = 0;
                for (int k = 0; k < c.dim(); k++) dot += w.output().data().getAtIndex(ModelWeights.F32, (long) r * c.dim() + k) * fin[k];
                assertEquals(dot, logits[r], 1e-4);
            }
            s.sequence.recorder(null);
            counts.clear();
            s.sequence.cache().truncate(0);
            s.forward(ids, 0, 3, logits, false);
            assertTrue(counts.isEmpty());
        }
    }

    /**
     * A batch takes the blocked attention (kv head × 32 tokens, keys transposed), one token the cache's own products:
     * the logits of every token agree, for both cache types, with a batch that crosses token blocks and starts after
     * positions already in the cache, on 1 and 2 threads.
     */
    @Test
    void batchedAttentionAgreesWithOneTokenAtATime() {
        for (int threads = 1; threads <= 2; threads++) {
            try (GgufFile f = GgufFile.open(ReferenceData.stories()); WorkerPool pool = new WorkerPool(threads)) {
                ModelConfig c = ModelConfig.fromMetadata(f.metadata());
                CpuBackend tf = new CpuBackend(c, ModelWeights.of(f, c), pool);
                int[] ids = new int[75];
                for (int i = 0; i < ids.length; i++) ids[i] = 1 + (i * 37) % (c.vocabSize() - 1);
                int vocab = c.vocabSize(), first = 5;
                for (KvType type : KvType.values()) {
                    OneSequence batch = new OneSequence(tf, type, ids.length, 96), single = new OneSequence(tf, type, 1, 96);
                    float[] head = new float[first * vocab], rest = new float[(ids.length - first) * vocab], one = new float[vocab];
                    batch.forward(ids, 0, first, head, true);
                    batch.forward(ids, first, ids.length - first, rest, true);
                    for (int t = 0; t < ids.length; t++) {
                        single.forward(ids, t, 1, one, false);
                        float[] all = t < first ? head : rest;
                        int base = (t < first ? t : t - first) * vocab;
                        // F16: a key or value from the batched and the one-token products can round to neighbouring
                        // halves, which moves logits by up to ~2e-3 here (the same with the per-head attention)
                        double tol = type == KvType.F32 ? 2e-4 : 1e-2;
                        for (int i = 0; i < vocab; i++) assertEquals(one[i], all[base + i], tol, type + " threads " + threads + " token " + t + " logit " + i);
                    }
                }
            }
        }
    }

    @Test
    void decodingAllocatesNothing() {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.vera4j.simd.MatMul.int8Kernels(), "in the test JVM, decoding without allocation holds with the 512-bit kernels (AVX-512); on AVX2, C2 compiles some float kernels with boxed vectors after the other tests (README, Limitations), and FreshProcessAllocationTest checks a process of its own");
        assertEquals(0, DecodeAllocation.steadyState(ReferenceData.stories(), 120), "bytes allocated by 100 decode steps in the steady state");
    }

    /**
     * A quantized model decodes without allocating either, on the calling thread or the worker: the token embedding
     * (one cold row per token, checked here) and the int8 products (in a process of its own: see
     * {@link DecodeAllocation}). Q4_0 also with the matrices regrouped by 16 rows, as {@code Model.load} does
     * ({@link ModelWeights#packed}).
     */
    @ParameterizedTest
    @CsvSource({"Q4_0, false", "Q4_0, true", "Q8_0, false"})
    void decodingAQuantizedModelAllocatesNothing(GgmlType type, boolean interleaved, @TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.vera4j.simd.MatMul.int8Kernels(), "decoding without allocation is guaranteed with the 512-bit int8 kernels (AVX-512); this CPU runs the float kernels (README, Limitations)");
        assumeTrue(!interleaved || Weights.packingEnabled(), "regrouped Q4_0 needs 512-bit vectors");
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Path model = ReferenceData.quantizedStories(type, dir.resolve("stories-" + type + ".gguf"));
        try (GgufFile f = GgufFile.open(model); WorkerPool pool = new WorkerPool(2); PackedCopies copies = PackedCopies.open(f, null, pool)) {
            ModelConfig c = ModelConfig.fromMetadata(f.metadata());
            ModelWeights w = interleaved ? ModelWeights.of(f, c).packed(copies) : ModelWeights.of(f, c);
            assertEquals(type, w.layer(0).wq().type());
            assertEquals(interleaved, w.layer(0).wq().packed() != null && w.output().packed() != null);
            // One row per token is too cold for C2 for hundreds of tokens: the lookup must not allocate before it is
            // compiled either (interpreted or C1 Vector API code boxes every vector)
            float[] row = new float[c.dim()];
            w.embedding(3, row, 0);
            threads.getCurrentThreadAllocatedBytes();
            long coldBefore = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 50; i++) w.embedding(i, row, 0);
            // boxed vectors would be ~90 KB per lookup; a JIT deoptimization in this window may rematerialize an
            // object or two that escape analysis had removed (48 B seen once in a clean-clone run), which is not that
            long cold = threads.getCurrentThreadAllocatedBytes() - coldBefore;
            assertTrue(cold < 1024, "bytes allocated by 50 cold " + type + " embedding lookups: " + cold);
        }
        String out = DecodeAllocation.inFreshProcess(120, model.toString(), "120", interleaved ? "packed" : "plain");
        assertTrue(out.lines().anyMatch(l -> l.equals("steady 0 0")),
                "bytes allocated by the calling thread and the worker in 100 " + type + " decode steps in the steady state: " + out);
    }
}
