package dev.vera4j.vera;

import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.api.Session;
import dev.vera4j.engine.backend.Batch;
import dev.vera4j.engine.backend.Sequence;
import dev.vera4j.engine.backend.cpu.CpuActivations;
import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.LinearHook;
import dev.vera4j.engine.model.LinearSite;
import dev.vera4j.engine.model.ModelWeights;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufTensor;
import dev.vera4j.simd.Weights;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.vera.merge.Merger;
import dev.vera4j.vera.peft.PeftImporter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/**
 * VeRA on all seven projections of stories260K (random λ, fixed seed, from {@code peft_vera_reference.py}): the hook
 * against PyTorch's PEFT-style forward on Hugging Face-ordered weights, against a dense {@code W + ΔW} model built
 * from the double-precision reference, and against the merged model; merging back out restores the base.
 */
class StoriesVeraTest {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static GgufFile file;
    static WorkerPool pool;
    static ModelConfig config;
    static CpuBackend base;
    static BaseFingerprint fingerprint;
    static AdapterFile adapter;
    static AdapterWeights weights;
    static StoriesReference ref;

    @BeforeAll
    static void load() {
        file = GgufFile.open(StoriesReference.stories());
        pool = new WorkerPool(2);
        config = ModelConfig.fromMetadata(file.metadata());
        base = new CpuBackend(config, ModelWeights.of(file, config), pool);
        fingerprint = BaseFingerprint.of(file);
        adapter = PeftAdapters.fromPeft(PeftImporter.read(StoriesReference.peftDir()), fingerprint);
        weights = AdapterWeights.prepare(adapter, fingerprint, "stories-vera", false);
        ref = StoriesReference.load();
    }

    @AfterAll
    static void close() {
        pool.close();
        file.close();
    }

    /** Logits at every prompt position plus one decoded token (matrix-vector path). */
    static float[] logits(CpuBackend tf, LinearHook hook) {
        int[] prompt = ref.promptIds();
        int vocab = config.vocabSize();
        CpuActivations s = tf.newActivations(prompt.length, 32, false);
        Sequence seq = new Sequence(tf.newCache(KvType.F32, 32));
        if (hook != null) seq.addHook(hook);
        float[] out = new float[(prompt.length + 1) * vocab];
        tf.step(s, Batch.of(seq, prompt, 0, prompt.length, true), out);
        float[] last = new float[vocab];
        tf.step(s, Batch.of(seq, new int[] {290}, 0, 1, false), last);
        System.arraycopy(last, 0, out, prompt.length * vocab, vocab);
        return out;
    }

    static float maxDiff(float[] a, float[] b, int n) {
        float worst = 0;
        for (int i = 0; i < n; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
        return worst;
    }

    @Test
    void peftProjectionsAreRegeneratedFromTheSeed() {
        // the PyTorch-drawn vera_A/vera_B equal TorchGenerator's, so the adapter file needs no projections
        assertTrue(adapter.projections().isEmpty());
        assertEquals(7 * config.blockCount(), adapter.lambdas().size());
    }

    @Test
    void hookMatchesPyTorchPeftForward() {
        // split over the transformer's own pool, as an adapter attached to a session does
        float[] hooked = logits(base, new VeraAdapter(weights, ref.promptIds().length, 1f, pool, 0));
        float[] plain = logits(base, null);
        int vocab = config.vocabSize(), n = ref.promptIds().length;
        float[] plainLast = java.util.Arrays.copyOfRange(plain, (n - 1) * vocab, n * vocab);
        assertTrue(maxDiff(plainLast, ref.baseLast(), vocab) < 2e-3f, "base model disagrees with PyTorch");
        float worst = maxDiff(hooked, ref.adapted(), n * vocab);
        System.out.println("stories260K VeRA: max |logit - PyTorch| = " + worst);
        assertTrue(worst <= 2e-3f, "VeRA logits differ from PyTorch by " + worst);
        assertTrue(maxDiff(hooked, plain, n * vocab) > 1f, "the adapter barely changes the logits");
    }

    @Test
    void hookMatchesDenseUpdatedWeightsAndMergedModel(@TempDir Path dir) throws Exception {
        float[] hooked = logits(base, new VeraAdapter(weights, ref.promptIds().length, 1f));
        try (Arena arena = Arena.ofShared()) {
            float[] dense = logits(new CpuBackend(config, denseUpdated(arena), pool), null);
            float worst = maxDiff(hooked, dense, hooked.length);
            System.out.println("stories260K VeRA: max |hook - dense W+ΔW| = " + worst);
            assertTrue(worst <= 1e-4f, "hook vs dense W+ΔW: " + worst);
        }
        Path merged = dir.resolve("merged.gguf");
        new Merger(pool).merge(file, weights, 1f, GgmlType.F32, merged);
        try (GgufFile m = GgufFile.open(merged)) {
            float[] mergedLogits = logits(new CpuBackend(config, ModelWeights.of(m, config), pool), null);
            float worst = maxDiff(hooked, mergedLogits, hooked.length);
            System.out.println("stories260K VeRA: max |hook - merged F32| = " + worst);
            assertTrue(worst <= 1e-4f, "hook vs merged model: " + worst);
            BaseFingerprint mfp = BaseFingerprint.of(m);
            assertTrue(mfp.sameShape(fingerprint));
            assertNotEquals(fingerprint.hash(), mfp.hash());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> AdapterWeights.prepare(adapter, mfp, "stories-vera", false));
            assertTrue(e.getMessage().contains("fingerprint"), e.getMessage());
        }
    }

    @Test
    void twoAdaptersInOnePassEqualMergingBoth(@TempDir Path dir) throws Exception {
        AdapterFile second = TestAdapters.random(fingerprint, java.util.EnumSet.of(VeraTarget.Q, VeraTarget.V, VeraTarget.DOWN), 8, 77);
        AdapterWeights w2 = AdapterWeights.prepare(second, fingerprint, "second", false);
        int n = ref.promptIds().length;
        Sequence both = new Sequence(base.newCache(KvType.F32, 32));
        both.addHook(new VeraAdapter(weights, n, 0.7f));
        both.addHook(new VeraAdapter(w2, n, 0.3f));
        float[] hooked = new float[n * config.vocabSize()];
        base.step(base.newActivations(n, 32, false), Batch.of(both, ref.promptIds(), 0, n, true), hooked);
        Path first = dir.resolve("first.gguf"), twice = dir.resolve("twice.gguf");
        new Merger(pool).merge(file, weights, 0.7f, GgmlType.F32, first);
        try (GgufFile m1 = GgufFile.open(first)) {
            new Merger(pool).merge(m1, AdapterWeights.prepare(second, BaseFingerprint.of(m1), "second", true), 0.3f, null, twice);
        }
        try (GgufFile m2 = GgufFile.open(twice)) {
            CpuBackend merged = new CpuBackend(config, ModelWeights.of(m2, config), pool);
            float[] out = new float[n * config.vocabSize()];
            merged.step(merged.newActivations(n, 32, false), Batch.of(new Sequence(merged.newCache(KvType.F32, 32)), ref.promptIds(), 0, n, true), out);
            float worst = maxDiff(hooked, out, out.length);
            assertTrue(worst <= 1e-4f, "two hooks vs two merges: " + worst);
        }
    }

    @Test
    void unmergeRestoresTheBase(@TempDir Path dir) throws Exception {
        Path merged = dir.resolve("merged.gguf"), restored = dir.resolve("restored.gguf");
        new Merger(pool).merge(file, weights, 1f, GgmlType.F32, merged);
        try (GgufFile m = GgufFile.open(merged)) {
            AdapterWeights onMerged = AdapterWeights.prepare(adapter, BaseFingerprint.of(m), "stories-vera", true);
            new Merger(pool).merge(m, onMerged, -1f, null, restored);
        }
        try (GgufFile r = GgufFile.open(restored)) {
            assertEquals(file.tensors().keySet(), r.tensors().keySet());
            int adapted = 0;
            for (GgufTensor t : file.tensors().values()) {
                GgufTensor u = r.tensor(t.name());
                assertEquals(t.type(), u.type());
                assertArrayEquals(t.shape(), u.shape());
                boolean changed = t.name().matches("blk\\.\\d+\\.(attn_[qkvo]|attn_output|ffn_gate|ffn_up|ffn_down)\\.weight");
                if (changed) adapted++;
                for (long i = 0; i < t.elementCount(); i++) {
                    float a = t.data().getAtIndex(F32, i), b = u.data().getAtIndex(F32, i);
                    if (changed) assertEquals(a, b, 1e-6f + 1e-5f * Math.abs(a), t.name() + "[" + i + "]");
                    else assertEquals(Float.floatToRawIntBits(a), Float.floatToRawIntBits(b), t.name() + " must be copied as-is");
                }
            }
            assertEquals(7 * config.blockCount(), adapted);
        }
    }

    @Test
    void sessionsOfOneModelChooseTheirOwnAdapter() {
        try (Model model = Model.load(StoriesReference.stories(), 1)) {
            AdapterWeights w = AdapterLoader.prepare(StoriesReference.peftDir(), BaseFingerprint.of(model.path()), false);
            Session full = model.newSession(64, KvType.F32, 16), half = model.newSession(64, KvType.F32, 16),
                    none = model.newSession(64, KvType.F32, 16), zero = model.newSession(64, KvType.F32, 16);
            full.addHook(new VeraAdapter(w, full.batchSize(), 1f, model.pool(), 0));
            half.addHook(new VeraAdapter(w, half.batchSize(), 0.5f));
            zero.addHook(new VeraAdapter(w, zero.batchSize(), 0f));
            int[] prompt = ref.promptIds();
            int vocab = config.vocabSize(), last = (prompt.length - 1) * vocab;
            float[] f = full.ingest(prompt).clone(), h = half.ingest(prompt).clone(), n = none.ingest(prompt).clone(),
                    z = zero.ingest(prompt).clone();
            float[] expected = java.util.Arrays.copyOfRange(ref.adapted(), last, last + vocab);
            assertTrue(maxDiff(f, expected, vocab) <= 2e-3f);
            assertTrue(maxDiff(n, ref.baseLast(), vocab) <= 2e-3f);
            // not bit-equal: the engine's Vector API reductions round differently before and after JIT compilation
            assertTrue(maxDiff(z, n, vocab) <= 1e-4f, "weight 0 must leave the model unchanged: " + maxDiff(z, n, vocab));
            assertTrue(maxDiff(h, f, vocab) > 0.1f && maxDiff(h, n, vocab) > 0.1f, "weight 0.5 lies between");
        }
    }

    /** The base with {@code W + ΔW} at every adapted site: ΔW from {@link VeraDelta#denseDelta} in Hugging Face row order, moved row by row for q/k. */
    static ModelWeights denseUpdated(Arena arena) {
        ModelWeights w = ModelWeights.of(file, config);
        Projections p = adapter.resolveProjections();
        for (int l = 0; l < config.blockCount(); l++) {
            for (VeraTarget t : TestAdapters.DENSE) {
                VeraLambdas lam = adapter.lambdas().get(new VeraSite(l, t));
                Weights old = w.matrix(new LinearSite(l, LinearSite.Kind.valueOf(t.name())));
                double[] delta = VeraDelta.denseDelta(p.view(old.cols(), old.rows()), lam);
                boolean permute = t == VeraTarget.Q || t == VeraTarget.K;
                MemorySegment seg = arena.allocate((long) old.rows() * old.cols() * 4, 4);
                for (int hfRow = 0; hfRow < old.rows(); hfRow++) {
                    int row = permute ? QkPermutation.ggufRow(hfRow, config.headDim()) : hfRow;
                    for (int c = 0; c < old.cols(); c++) {
                        long at = (long) row * old.cols() + c;
                        seg.setAtIndex(F32, at, (float) (old.data().getAtIndex(F32, at) + delta[hfRow * old.cols() + c]));
                    }
                }
                w = w.replacing(old, new Weights(seg, GgmlType.F32, old.rows(), old.cols()));
            }
        }
        return w;
    }
}
