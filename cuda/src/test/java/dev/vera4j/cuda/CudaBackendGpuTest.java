package dev.vera4j.cuda;

import dev.vera4j.engine.api.GenerateOptions;
import dev.vera4j.engine.api.GenerationListener;
import dev.vera4j.engine.api.LoadOptions;
import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.api.Session;
import dev.vera4j.engine.backend.Activations;
import dev.vera4j.engine.backend.Backend;
import dev.vera4j.engine.backend.BackendProvider;
import dev.vera4j.engine.backend.Batch;
import dev.vera4j.engine.backend.Device;
import dev.vera4j.engine.backend.DeviceException;
import dev.vera4j.engine.backend.Sequence;
import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.kv.ContextOverflowException;
import dev.vera4j.engine.kv.KvCache;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.LinearHook;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.engine.model.ModelWeights;
import dev.vera4j.engine.model.TinyModels;
import dev.vera4j.gguf.GgufFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The CUDA backend as the engine reaches it: {@code Model.load} with {@code --device cuda} (the provider found through
 * the {@link java.util.ServiceLoader}) and {@link Backend#step} with {@link Batch}es, on stories260K against the CPU
 * backend: greedy continuations and last-position logits, batches of several sequences, a VeRA adapter through a
 * sequence's hook, the checks made before anything runs (a context overflow stores nothing), and the device memory
 * given back on close.
 */
@Tag("gpu")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CudaBackendGpuTest {
    private static final Path STORIES = Path.of(System.getProperty("vera4j.shared", "../shared"), "models/stories260K.gguf");
    @TempDir static Path tmp;

    private CudaDevice gpu;
    private Model onGpu, onCpu;
    private ModelConfig c;

    @BeforeAll
    void load() {
        gpu = Gpu.open();
        if (gpu == null) return;
        onGpu = Model.load(STORIES, LoadOptions.builder().device("cuda").threads(1).build());
        onCpu = Model.load(STORIES, 1);
        c = onGpu.config();
    }

    @BeforeEach
    void needsGpu() { Gpu.assume(gpu); }

    @AfterAll
    void close() {
        if (gpu == null) return;
        onGpu.close();
        onCpu.close();
        gpu.close();
    }

    @Test
    void theProviderServesCuda() {
        assertInstanceOf(CudaBackendProvider.class, BackendProvider.of("cuda"));
        assertInstanceOf(CudaBackend.class, onGpu.backend());
        assertEquals(new Device("cuda", 0), onGpu.backend().device());
        assertTrue(((CudaBackend) onGpu.backend()).describe().contains(" on cuda:0 "), ((CudaBackend) onGpu.backend()).describe());
    }

    /** Sessions (prefill in batches of 16, then one token a step) on both backends: the same tokens, close logits. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.vera4j.cuda.StoriesGpuTest#references")
    void greedyTokensAndLogitsEqualTheCpuBackends(StoriesGpuTest.Reference ref) {
        Session gpuSession = onGpu.newSession(128, KvType.F16, 16), cpuSession = onCpu.newSession(128, KvType.F16, 16);
        float[] g = gpuSession.ingest(ref.promptIds()).clone(), cpu = cpuSession.ingest(ref.promptIds()).clone();
        // the F16 cache rounds keys and values: a value a last bit apart can round to the next half (2^-11)
        assertTrue(largestDifference(g, cpu) < 1e-2f, "last-position logits differ by " + largestDifference(g, cpu));
        gpuSession.reset();
        cpuSession.reset();
        int n = ref.generatedIds().length;
        int[] a = gpuSession.generate(ref.promptIds(), GenerateOptions.greedy(n), GenerationListener.NONE).tokens();
        int[] b = cpuSession.generate(ref.promptIds(), GenerateOptions.greedy(n), GenerationListener.NONE).tokens();
        assertArrayEquals(b, a, "greedy continuation");
        assertEquals(n, a.length);
    }

    /** One step of two sequences (a prefill with every token's logits and a decode) against each run alone on the CPU. */
    @Test
    void aBatchOfSequencesWritesEachEntrysRows() {
        Backend b = onGpu.backend(), cpu = onCpu.backend();
        int[] alice = {1, 365, 201, 292, 105}, bob = {1, 450};
        Sequence ga = new Sequence(b.newCache(KvType.F16, 32)), gb = new Sequence(b.newCache(KvType.F16, 32));
        Sequence ca = new Sequence(cpu.newCache(KvType.F16, 32)), cb = new Sequence(cpu.newCache(KvType.F16, 32));
        Activations act = b.newActivations(8, 32, false), cpuAct = cpu.newActivations(8, 32, false);
        int v = c.vocabSize();
        cpu.step(cpuAct, Batch.of(cb, bob, 0, bob.length, false), new float[v]);   // bob's prompt, alone first
        b.step(act, Batch.of(gb, bob, 0, bob.length, false), new float[v]);
        float[] logits = new float[(alice.length + 1) * v];
        Batch batch = new Batch(8).add(ga, alice, 0, alice.length, true).add(gb, new int[] {263}, 0, 1, false);
        b.step(act, batch, logits);
        assertEquals(alice.length, ga.position());
        assertEquals(bob.length + 1, gb.position());
        float[] aliceCpu = new float[alice.length * v], bobCpu = new float[v];
        cpu.step(cpuAct, Batch.of(ca, alice, 0, alice.length, true), aliceCpu);
        cpu.step(cpuAct, Batch.of(cb, new int[] {263}, 0, 1, false), bobCpu);
        assertTrue(largestDifference(Arrays.copyOfRange(logits, 0, alice.length * v), aliceCpu) < 1e-2f, "alice's rows 0..4");
        assertTrue(largestDifference(Arrays.copyOfRange(logits, alice.length * v, logits.length), bobCpu) < 1e-2f, "bob's row 5");
        act.close();
        ga.cache().close();
        gb.cache().close();
    }

    /** VeRA on all seven targets through the sequence's hook: on the device from its low-rank form, on the CPU by calls. */
    @Test
    void aVeraHookRunsOnTheDevice() {
        CudaBackend b = (CudaBackend) onGpu.backend();
        ForwardGpuTest.VeraHook one = new ForwardGpuTest.VeraHook(ForwardGpuTest.randomAdapter(c, 8, 1), 1f);
        ForwardGpuTest.VeraHook two = new ForwardGpuTest.VeraHook(ForwardGpuTest.randomAdapter(c, 8, 2), 0.5f);
        LinearHook both = new LinearHook() {   // two adapters as one hook: two device adapters (one per scale)
            @Override
            public void addDelta(dev.vera4j.engine.model.LinearSite site, float[] x, int xOff, float[] y, int yOff, int n, int in, int out) {
                one.addDelta(site, x, xOff, y, yOff, n, in, out);
                two.addDelta(site, x, xOff, y, yOff, n, in, out);
            }

            @Override
            public dev.vera4j.engine.model.LowRankUpdate lowRank() { return one.lowRank().plus(two.lowRank()); }
        };
        int[] prompt = {1, 365, 201, 292, 105, 263, 431};
        float[] plain = onGpu.newSession(64, KvType.F16, 4).ingest(prompt).clone();
        for (List<LinearHook> hooks : List.<List<LinearHook>>of(List.of(one), List.of(one, two), List.of(both))) {
            Session g = onGpu.newSession(64, KvType.F16, 4), cpu = onCpu.newSession(64, KvType.F16, 4);
            hooks.forEach(h -> { g.addHook(h); cpu.addHook(h); });
            float[] adapted = g.ingest(prompt).clone(), expected = cpu.ingest(prompt).clone();
            assertTrue(largestDifference(adapted, expected) < 1e-2f, hooks.size() + " hooks: " + largestDifference(adapted, expected));
            assertTrue(largestDifference(adapted, plain) > 0.1f, "the adapter changed the logits by only " + largestDifference(adapted, plain));
            float[] next = g.ingest(new int[] {42}).clone(), nextCpu = cpu.ingest(new int[] {42}).clone();   // a decode step
            assertTrue(largestDifference(next, nextCpu) < 1e-2f, "decode with " + hooks.size() + " hooks");
        }
        // a sequence without the hook, in a step after one with it, runs without the adapter
        float[] again = onGpu.newSession(64, KvType.F16, 4).ingest(prompt);
        assertArrayEquals(plain, again);
        assertTrue(b.allocatedBytes() > 0);
    }

    @Test
    void aContextOverflowThrowsBeforeAnythingRuns() {
        Backend b = onGpu.backend();
        Sequence fits = new Sequence(b.newCache(KvType.F16, 8)), full = new Sequence(b.newCache(KvType.F16, 8));
        Activations act = b.newActivations(8, 8, false);
        int[] ids = {1, 365, 201, 292, 105, 263};
        b.step(act, Batch.of(full, ids, 0, 6, false), new float[c.vocabSize()]);
        float[] logits = new float[2 * c.vocabSize()];
        Arrays.fill(logits, Float.NaN);
        Batch batch = new Batch(8).add(fits, ids, 0, 2, false).add(full, ids, 0, 3, false);
        ContextOverflowException e = assertThrows(ContextOverflowException.class, () -> b.step(act, batch, logits));
        assertNotNull(e.getMessage());
        assertEquals(0, fits.position(), "nothing stored for the entry that fits");
        assertEquals(6, full.position());
        assertTrue(Float.isNaN(logits[0]) && Float.isNaN(logits[logits.length - 1]), "no logits written");
        // the caches go on as if the step had not been tried: the same logits as a fresh run
        float[] after = new float[c.vocabSize()], fresh = new float[c.vocabSize()];
        b.step(act, Batch.of(full, ids, 0, 2, false), after);
        Sequence other = new Sequence(b.newCache(KvType.F16, 8));
        b.step(act, Batch.of(other, ids, 0, 6, false), new float[c.vocabSize()]);
        b.step(act, Batch.of(other, ids, 0, 2, false), fresh);
        assertArrayEquals(fresh, after);
        // truncation forgets a tail on the device too: the rewound sequence recomputes the same logits
        full.cache().truncate(6);
        b.step(act, Batch.of(full, ids, 0, 2, false), after);
        assertArrayEquals(fresh, after);
        act.close();
        for (Sequence s : List.of(fits, full, other)) s.cache().close();
    }

    @Test
    void whatTheDeviceCannotRunIsRefusedInOneLine() {
        Backend b = onGpu.backend(), cpu = onCpu.backend();
        Activations act = b.newActivations(4, 16, false);
        KvCache cache = b.newCache(KvType.F16, 16);
        Sequence s = new Sequence(cache);
        float[] logits = new float[c.vocabSize()];
        var f32 = assertThrows(IllegalArgumentException.class, () -> b.newCache(KvType.F32, 16));
        assertEquals("the CUDA backend keeps the KV cache in F16, not F32: use --kv-type f16", f32.getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.step(cpu.newActivations(4, 16, false), Batch.of(s, new int[] {1}, 0, 1, false), logits));
        assertThrows(IllegalArgumentException.class, () -> b.step(act, Batch.of(new Sequence(cpu.newCache(KvType.F16, 16)), new int[] {1}, 0, 1, false), logits));
        assertThrows(IllegalArgumentException.class, () -> b.step(act, Batch.of(s, new int[5], 0, 5, false), logits), "more tokens than the activations take");
        assertThrows(IllegalArgumentException.class, () -> b.step(act, Batch.of(s, new int[] {1}, 0, 1, false), new float[c.vocabSize() - 1]));
        var vocab = assertThrows(IllegalArgumentException.class, () -> b.step(act, Batch.of(s, new int[] {c.vocabSize()}, 0, 1, false), logits));
        assertEquals("token id 512 is outside the vocabulary [0, 512)", vocab.getMessage());
        s.recorder((layer, point, data, off, n, width) -> { });
        var recorder = assertThrows(DeviceException.class, () -> b.step(act, Batch.of(s, new int[] {1}, 0, 1, false), logits));
        assertEquals("activation recorders (training, activation capture) cannot run on cuda:0: use --device cpu", recorder.getMessage());
        s.recorder(null);
        LinearHook code = (site, x, xOff, y, yOff, n, in, out) -> { };
        s.addHook(code);
        var hook = assertThrows(DeviceException.class, () -> b.step(act, Batch.of(s, new int[] {1}, 0, 1, false), logits));
        assertTrue(hook.getMessage().contains("has no low-rank form") && hook.getMessage().endsWith("cannot run on cuda:0: use --device cpu"), hook.getMessage());
        s.removeHook(code);
        assertEquals(0, s.position(), "nothing stored by the refused steps");
        b.step(act, Batch.of(s, new int[] {1}, 0, 1, false), logits);
        assertEquals(1, s.position());
        cache.close();
        assertThrows(IllegalStateException.class, () -> b.step(act, Batch.of(s, new int[] {1}, 0, 1, false), logits));
        act.close();
    }

    /** The load fails with one line, and without device memory left behind, for what the GPU cannot run. */
    @Test
    void loadsThatFailSayWhyInOneLine() throws Exception {
        var index = assertThrows(DeviceException.class, () -> Model.load(STORIES, LoadOptions.builder().device("cuda:99").threads(1).build()));
        assertTrue(index.getMessage().startsWith("there is no cuda:99: this machine has "), index.getMessage());
        long free = gpu.memory().free();
        try (GgufFile f = GgufFile.open(TinyModels.write("tiny-gemma2", tmp))) {   // a tiny model without a tokenizer: the provider directly
            ModelConfig config = ModelConfig.fromMetadata(f.metadata());
            var family = assertThrows(DeviceException.class,
                    () -> BackendProvider.of("cuda").open(Device.parse("cuda"), config, ModelWeights.of(f, config)));
            assertTrue(family.getMessage().startsWith("the GPU cannot run gemma2 models yet"), family.getMessage());
        }
        assertTrue(gpu.memory().free() >= free - (2 << 20), "device memory left after a refused load");
    }

    /** Closing the backend frees what it made and was not closed (caches, activations, adapters) and the weights. */
    @Test
    void closeGivesTheDeviceMemoryBack() {
        long free = gpu.memory().free();
        try (GgufFile file = GgufFile.open(STORIES)) {
            ModelConfig config = ModelConfig.fromMetadata(file.metadata());
            Backend b = BackendProvider.of("cuda").open(Device.parse("cuda:0"), config, ModelWeights.of(file, config));
            CudaBackend cuda = (CudaBackend) b;
            long weights = cuda.allocatedBytes();
            Sequence s = new Sequence(b.newCache(KvType.F16, 64));
            s.addHook(new ForwardGpuTest.VeraHook(ForwardGpuTest.randomAdapter(config, 4, 3), 1f));
            Activations act = b.newActivations(8, 64, false);
            b.step(act, Batch.of(s, new int[] {1, 2, 3}, 0, 3, false), new float[config.vocabSize()]);
            assertTrue(cuda.allocatedBytes() > weights + KvCache.bytesFor(KvType.F16, config.blockCount(), 64, config.kvDim()) - 1);
            assertTrue(gpu.memory().free() < free, "the backend's memory is in use");
            KvCache spare = b.newCache(KvType.F16, 64);
            long held = cuda.allocatedBytes();
            spare.close();
            assertEquals(held - KvCache.bytesFor(KvType.F16, config.blockCount(), 64, config.kvDim()), cuda.allocatedBytes(), "a closed cache's memory");
            b.close();
            assertEquals(0, cuda.allocatedBytes());
            assertThrows(IllegalStateException.class, () -> b.newCache(KvType.F16, 8));
            b.close();   // twice is fine
        }
        // the driver's own count: allocations come back whole (2 MiB of slack for its page granularity)
        assertTrue(gpu.memory().free() >= free - (2 << 20), "free device memory fell from " + free + " to " + gpu.memory().free());
    }

    /** A closed session gives its cache and scratch back at once (Vera4j.generate closes the session of each call). */
    @Test
    void aClosedSessionFreesItsDeviceMemory() {
        CudaBackend b = (CudaBackend) onGpu.backend();
        long held = b.allocatedBytes();
        try (Session s = onGpu.newSession(64, KvType.F16, 8)) {
            s.ingest(new int[] {1, 2, 3});
            assertTrue(b.allocatedBytes() >= held + KvCache.bytesFor(KvType.F16, c.blockCount(), 64, c.kvDim()));
        }
        assertEquals(held, b.allocatedBytes());
    }

    /**
     * Steps alternating between sequences with different adapters swap the forward's adapters without allocating
     * device memory: the A·x scratch of the adapter that leaves is reused by the one that comes. (That a pass allocates
     * nothing on the heap either is ForwardGpuTest's, with the long warm-up the JIT needs.)
     */
    @Test
    void decodingAllocatesNoDeviceMemory() {
        CudaBackend b = (CudaBackend) onGpu.backend();
        Sequence x = new Sequence(b.newCache(KvType.F16, 64)), y = new Sequence(b.newCache(KvType.F16, 64));
        x.addHook(new ForwardGpuTest.VeraHook(ForwardGpuTest.randomAdapter(c, 8, 4), 1f));
        y.addHook(new ForwardGpuTest.VeraHook(ForwardGpuTest.randomAdapter(c, 8, 5), 1f));
        Activations act = b.newActivations(4, 64, false);
        float[] logits = new float[c.vocabSize()];
        int[] one = {1};
        Batch batch = new Batch(4);
        b.step(act, batch.clear().add(x, one, 0, 1, false), logits);   // uploads both adapters, scratch for one
        b.step(act, batch.clear().add(y, one, 0, 1, false), logits);
        long held = b.allocatedBytes(), allocations = b.gpu().allocationCount();
        float[] first = logits.clone();
        for (int i = 0; i < 10; i++) {
            b.step(act, batch.clear().add(x, one, 0, 1, false), logits);
            b.step(act, batch.clear().add(y, one, 0, 1, false), logits);
        }
        assertEquals(allocations, b.gpu().allocationCount(), "cuMemAlloc calls while decoding");
        assertEquals(held, b.allocatedBytes(), "device memory held");
        assertFalse(Arrays.equals(first, logits), "the steps ran");
        act.close();
        x.cache().close();
        y.cache().close();
    }

    private static float largestDifference(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        float d = 0;
        for (int i = 0; i < a.length; i++) {
            assertTrue(Float.isFinite(a[i]), "logit " + i + " is " + a[i]);
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }
}
