package dev.vera4j.cuda;

import dev.vera4j.engine.backend.DeviceException;
import dev.vera4j.engine.kv.ContextOverflowException;
import dev.vera4j.engine.kv.KvCache;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.LinearHook;
import dev.vera4j.engine.model.LinearSite;
import dev.vera4j.engine.model.LowRankUpdate;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.engine.model.ModelWeights;
import dev.vera4j.engine.model.TinyModels;
import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.simd.FloatRows;
import dev.vera4j.simd.WorkerPool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The whole forward pass on the device against the CPU's {@code Transformer} on the same file: every architecture
 * (llama with Llama-3 rope frequencies, mistral with linear scaling, qwen2's biases, qwen3's q/k norms), every weight
 * type with kernels and one converted on upload, through prefill (tiled products), a few-token batch and one-token
 * decoding (the int8 route for Q8_0/Q4_0); VeRA adapters on all seven targets; the errors (other families refused
 * before any upload); and no device memory left.
 */
@Tag("gpu")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ForwardGpuTest {
    private CudaDevice gpu;
    private WorkerPool pool;
    @TempDir static Path tmp;

    @BeforeAll
    void open() {
        gpu = Gpu.open();
        pool = new WorkerPool(2);
    }

    @BeforeEach
    void needsGpu() { Gpu.assume(gpu); }

    @AfterAll
    void close() {
        if (pool != null) pool.close();
        if (gpu == null) return;
        assertEquals(0, gpu.allocatedBytes(), "device memory left after the tests");
        gpu.close();
    }

    /** The CPU path and the GPU path over one file, fed the same batches. */
    private final class Pair implements AutoCloseable {
        final GgufFile file;
        final ModelConfig c;
        final CpuPath cpu;
        final DeviceWeights weights;
        final ModelWeights cpuWeights;
        final CudaForward gpuForward;
        final DeviceKvCache gpuCache;
        /** Whether a pass so far quantized activations to int8 (its keys and values stay in the caches). */
        boolean quantized;

        Pair(Path model, int maxBatch, int ctx) {
            file = GgufFile.open(model);
            c = ModelConfig.fromMetadata(file.metadata());
            ModelWeights w = ModelWeights.of(file, c);
            cpuWeights = w;
            cpu = new CpuPath(c, w, pool, maxBatch, ctx);
            weights = DeviceWeights.upload(gpu, c, w);
            gpuForward = new CudaForward(weights, c, maxBatch);
            gpuCache = DeviceKvCache.allocate(gpu, c.blockCount(), ctx, c.kvDim());
        }

        /**
         * Feeds {@code tokens} to both and checks the logits: within {@code tolerance} of the largest logit; once a pass
         * of one token went through Q8_0/Q4_0 products, whose activations both paths quantize to int8, within 2e-2 at worst
         * and 5e-3 on average: an activation that sits on a rounding boundary can quantize one step apart on the two
         * paths, which moves every output of that product (with {@code -Dvera4j.noint8=true} on both, the tolerance
         * is the float one). Where only one side quantizes (a CPU without the 512-bit kernels, or the CPU's 256-bit K-quant
         * kernels on AVX2): 4e-2 at worst and 1e-2 on average.
         */
        void step(int[] tokens, boolean allLogits, double tolerance, String what) {
            GgmlType t = weights.output().type();
            boolean oneTokenProduct = tokens.length == 1 || !allLogits;   // all of a decode step, or the last token's logits
            boolean gpuQuantizes = (t == GgmlType.Q8_0 || t == GgmlType.Q4_0) && !Boolean.getBoolean("vera4j.noint8");
            boolean cpuQuantizes = dev.vera4j.simd.MatMul.int8Block(cpuWeights.output(), 1) > 0;
            quantized |= oneTokenProduct && (gpuQuantizes || cpuQuantizes);
            double[] d = difference(tokens, allLogits);
            if (quantized) {
                // both with the same blocks of 32 only where the CPU runs the 512-bit kernels; elsewhere (AVX2: the
                // 256-bit kernels, K-quants included, or float) one side may round where the other does not
                boolean both = dev.vera4j.simd.MatMul.int8Kernels() && gpuQuantizes;
                double worst = both ? 2e-2 : 4e-2, mean = both ? 5e-3 : 1e-2;
                assertTrue(d[0] < worst && d[1] < mean, what + ": largest difference " + d[0] + ", mean " + d[1] + " (of the largest logit)");
            } else {
                assertTrue(d[0] < tolerance, what + ": largest difference " + d[0] + " of the largest logit");
            }
        }

        /** Feeds {@code tokens} to both; returns the largest and the mean logit difference over the largest logit. */
        double[] difference(int[] tokens, boolean allLogits) {
            int rows = allLogits ? tokens.length : 1;
            float[] a = new float[rows * c.vocabSize()], b = new float[rows * c.vocabSize()];
            cpu.forward(tokens, 0, tokens.length, a, allLogits);
            gpuForward.forward(tokens, 0, tokens.length, gpuCache, b, allLogits);
            assertEquals(cpu.cache().length(), gpuCache.length());
            double worst = 0, max = 0, sum = 0;
            for (int i = 0; i < a.length; i++) {
                assertTrue(Float.isFinite(b[i]), "logit " + i + " is " + b[i]);
                worst = Math.max(worst, Math.abs(a[i] - b[i]));
                sum += Math.abs(a[i] - b[i]);
                max = Math.max(max, Math.abs(a[i]));
            }
            return new double[] {worst / max, sum / a.length / max};
        }

        @Override
        public void close() {
            gpuCache.close();
            gpuForward.close();
            weights.close();
            file.close();
        }
    }

    static Stream<Arguments> models() {
        List<Arguments> out = new ArrayList<>();
        for (String arch : TestModels.ARCHITECTURES) {
            for (GgmlType t : new GgmlType[] {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0,
                    GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.Q5_K}) {
                out.add(Arguments.of(arch, t));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("models")
    void matchesTheCpuPath(String arch, GgmlType type) throws Exception {
        // Q5_K runs as F16 on the device: a rounding of 2^-11 per weight that the CPU path does not make
        double tolerance = DeviceTypes.isNative(type) ? 2e-4 : 3e-3;
        try (Pair p = new Pair(TestModels.write(arch, type, tmp), 16, 64)) {
            SplittableRandom r = new SplittableRandom(5);
            int[] prompt = r.ints(11, 0, TestModels.VOCAB).toArray();
            p.step(prompt, false, tolerance, arch + " " + type + " prefill");
            for (int i = 0; i < 3; i++) p.step(new int[] {r.nextInt(TestModels.VOCAB)}, false, tolerance, arch + " " + type + " decode step " + i);
            p.step(r.ints(5, 0, TestModels.VOCAB).toArray(), true, tolerance, arch + " " + type + " a batch of 5 with all logits");
            int matrices = 7 * TestModels.LAYERS + (p.weights.output() == p.weights.embedding() ? 1 : 2);
            if (!DeviceTypes.isNative(type)) assertEquals(java.util.Map.of(type + " -> F16", matrices), p.weights.conversions());
        }
    }

    @Test
    void greedyOnDeviceEqualsGreedyOnTheHost() throws Exception {
        try (Pair p = new Pair(TestModels.write("qwen2", GgmlType.Q8_0, tmp), 16, 64)) {
            int[] prompt = {5, 17, 200, 3};
            float[] logits = new float[p.c.vocabSize()];
            p.gpuForward.forward(prompt, 0, prompt.length, p.gpuCache, logits, false);
            int host = GpuCheck.argmax(logits);
            p.gpuCache.truncate(0);
            assertEquals(host, p.gpuForward.forwardGreedy(prompt, 0, prompt.length, p.gpuCache));
            assertEquals(prompt.length, p.gpuCache.length());
        }
    }

    /**
     * The VeRA term in double, as a CPU hook: {@code Δy = weight·λ_b ⊙ (B·(λ_d ⊙ (A·x)))}; {@link #lowRank} describes
     * the same terms for a device backend.
     */
    record VeraHook(List<VeraSiteWeights> sites, float weight) implements LinearHook {
        @Override
        public LowRankUpdate lowRank() {
            List<LowRankUpdate.Term> terms = new ArrayList<>();
            for (VeraSiteWeights s : sites) {
                terms.add(new LowRankUpdate.Term(s.site(), weight, new FloatRows(s.a(), 0, s.aStride(), s.rank(), s.in()),
                        new FloatRows(s.bt(), 0, s.btStride(), s.rank(), s.out()), s.lambdaD(), s.lambdaB()));
            }
            return new LowRankUpdate(terms);
        }

        @Override
        public void addDelta(LinearSite site, float[] x, int xOff, float[] y, int yOff, int n, int inDim, int outDim) {
            for (VeraSiteWeights s : sites) {
                if (!s.site().equals(site)) continue;
                int r = s.rank();
                for (int t = 0; t < n; t++) {
                    double[] h = new double[r];
                    for (int i = 0; i < r; i++) {
                        double ax = 0;
                        for (int k = 0; k < inDim; k++) ax += (double) s.a()[i * s.aStride() + k] * x[xOff + t * inDim + k];
                        h[i] = ax * s.lambdaD()[i];
                    }
                    for (int o = 0; o < outDim; o++) {
                        double z = 0;
                        for (int i = 0; i < r; i++) z += s.bt()[i * s.btStride() + o] * h[i];
                        y[yOff + t * outDim + o] += (float) (weight * s.lambdaB()[o] * z);
                    }
                }
            }
        }
    }

    /** A random adapter on all seven targets of every layer, its A and Bᵀ shared by all sites. */
    static List<VeraSiteWeights> randomAdapter(ModelConfig c, int rank, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int inMax = Math.max(c.dim(), Math.max(c.qDim(), c.feedForwardLength()));
        int outMax = Math.max(c.dim(), Math.max(c.qDim(), c.feedForwardLength()));
        float[] a = TestModels.uniform(rank * inMax, new SplittableRandom(77), 0.1f);
        float[] bt = TestModels.uniform(rank * outMax, new SplittableRandom(78), 0.1f);
        List<VeraSiteWeights> sites = new ArrayList<>();
        for (int l = 0; l < c.blockCount(); l++) {
            for (LinearSite.Kind kind : java.util.EnumSet.range(LinearSite.Kind.Q, LinearSite.Kind.DOWN)) {
                int in = switch (kind) { case O -> c.qDim(); case DOWN -> c.feedForwardLength(); default -> c.dim(); };
                int out = switch (kind) { case Q, O -> kind == LinearSite.Kind.Q ? c.qDim() : c.dim(); case K, V -> c.kvDim();
                    case GATE, UP -> c.feedForwardLength(); default -> c.dim(); };
                sites.add(new VeraSiteWeights(new LinearSite(l, kind), in, out, TestModels.uniform(out, r, 1f),
                        TestModels.uniform(rank, r, 1f), a, inMax, bt, outMax));
            }
        }
        return sites;
    }

    @Test
    void veraAdaptersOnAllSevenTargets() throws Exception {
        try (Pair p = new Pair(TestModels.write("llama", GgmlType.BF16, tmp), 16, 64);
             DeviceVeraProjections shared = new DeviceVeraProjections(gpu)) {
            List<VeraSiteWeights> one = randomAdapter(p.c, 16, 1), two = randomAdapter(p.c, 16, 2);
            try (DeviceVeraAdapter a = DeviceVeraAdapter.upload(shared, 1f, p.c.blockCount(), one);
                 DeviceVeraAdapter b = DeviceVeraAdapter.upload(shared, 0.5f, p.c.blockCount(), two)) {
                assertEquals(2, shared.count(), "one A and one Bᵀ for both adapters");
                p.gpuForward.addAdapter(a);
                p.gpuForward.addAdapter(b);
                p.cpu.addHook(new VeraHook(one, 1f));
                p.cpu.addHook(new VeraHook(two, 0.5f));
                int[] prompt = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
                float[] plain = new float[p.c.vocabSize()];
                p.step(prompt, false, 2e-4, "prefill with two adapters");
                p.step(new int[] {11}, false, 2e-4, "decode with two adapters");
                // the adapters change the result: without them the logits differ
                assertTrue(p.gpuForward.removeAdapter(a) && p.gpuForward.removeAdapter(b));
                p.gpuCache.truncate(0);
                p.gpuForward.forward(prompt, 0, prompt.length, p.gpuCache, plain, false);
                float[] adapted = new float[p.c.vocabSize()];
                p.gpuForward.addAdapter(a);
                p.gpuForward.addAdapter(b);
                p.gpuCache.truncate(0);
                p.gpuForward.forward(prompt, 0, prompt.length, p.gpuCache, adapted, false);
                double change = 0;
                for (int i = 0; i < plain.length; i++) change = Math.max(change, Math.abs(plain[i] - adapted[i]));
                assertTrue(change > 1e-2, "the adapters changed the logits by only " + change);
                p.gpuForward.removeAdapter(a);
                p.gpuForward.removeAdapter(b);
            }
        }
    }

    @Test
    void errors() throws Exception {
        try (Pair p = new Pair(TestModels.write("mistral", GgmlType.F16, tmp), 4, 6)) {
            float[] logits = new float[p.c.vocabSize()];
            assertThrows(IllegalArgumentException.class, () -> p.gpuForward.forward(new int[5], 0, 5, p.gpuCache, logits, false));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> p.gpuForward.forward(new int[] {TestModels.VOCAB}, 0, 1, p.gpuCache, logits, false));
            assertEquals("token id 320 is outside the vocabulary [0, 320)", e.getMessage());
            p.gpuForward.forward(new int[4], 0, 4, p.gpuCache, logits, false);
            assertThrows(ContextOverflowException.class, () -> p.gpuForward.forward(new int[3], 0, 3, p.gpuCache, logits, false));
            assertEquals(4, p.gpuCache.length(), "a refused pass leaves the cache as it was");
        }
    }

    @Test
    void decodingAllocatesNothing() throws Exception {
        try (Pair p = new Pair(TestModels.write("qwen2", GgmlType.Q4_0, tmp), 4, 256)) {
            int[] one = {7};
            float[] logits = new float[p.c.vocabSize()];
            for (int i = 0; i < 200; i++) {   // warm-up: the JIT compiles the downcalls and the pass
                if (p.gpuCache.length() == p.gpuCache.capacity()) p.gpuCache.truncate(0);
                one[0] = p.gpuForward.forwardGreedy(one, 0, 1, p.gpuCache);
                p.gpuForward.forward(one, 0, 1, p.gpuCache, logits, false);
            }
            p.gpuCache.truncate(0);
            var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 50; i++) {
                one[0] = p.gpuForward.forwardGreedy(one, 0, 1, p.gpuCache);
                p.gpuForward.forward(one, 0, 1, p.gpuCache, logits, false);
            }
            long perPass = (threads.getCurrentThreadAllocatedBytes() - before) / 100;
            assertTrue(perPass < 64, perPass + " bytes allocated per pass");
        }
    }

    /** Gemma, Phi-3 and mixture-of-experts models: one line naming the architecture, and nothing allocated. */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.FieldSource("dev.vera4j.cuda.GpuModelsTest#REFUSED")
    void otherFamiliesAreRefusedBeforeAnyUpload(String model) throws Exception {
        long held = gpu.allocatedBytes();
        try (GgufFile f = GgufFile.open(TinyModels.write(model, tmp))) {
            ModelConfig c = ModelConfig.fromMetadata(f.metadata());
            ModelWeights w = ModelWeights.of(f, c);
            DeviceException e = assertThrows(DeviceException.class, () -> DeviceWeights.upload(gpu, c, w));
            assertTrue(e.getMessage().startsWith("the GPU cannot run " + c.architecture()), e.getMessage());
        }
        assertEquals(held, gpu.allocatedBytes(), "device memory allocated for a refused model");
    }

    @Test
    void closingEverythingFreesTheDeviceMemory() throws Exception {
        long before = gpu.memory().free(), held = gpu.allocatedBytes();
        try (Pair p = new Pair(TestModels.write("qwen3", GgmlType.Q6_K, tmp), 8, 32)) {
            p.step(new int[] {1, 2, 3}, false, 2e-4, "qwen3 Q6_K");
            assertTrue(gpu.allocatedBytes() > held + p.weights.bytes() - 1);
        }
        assertEquals(held, gpu.allocatedBytes(), "bytes still allocated through the device");
        long after = gpu.memory().free();
        // the driver's own count: allocations come back whole (2 MiB of slack for its page granularity)
        assertTrue(after >= before - (2 << 20), "free device memory fell from " + before + " to " + after + " bytes");
    }
}
