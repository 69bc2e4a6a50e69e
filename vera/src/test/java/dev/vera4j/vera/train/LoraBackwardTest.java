package dev.vera4j.vera.train;

import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.engine.model.ModelWeights;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.QkPermutation;
import dev.vera4j.vera.VeraSite;
import dev.vera4j.vera.VeraTarget;
import dev.vera4j.vera.lora.LoraFile;
import dev.vera4j.vera.lora.LoraMatrices;
import dev.vera4j.vera.peft.PeftLora;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Analytic LoRA gradients of {@link Backward} with a {@link TrainableLora} on stories260K (the committed random LoRA
 * of {@code scripts/lora_reference.py}, r = 4, all seven projections) against PyTorch float64 autograd
 * ({@code lora_gradients.py}) and central finite differences of the engine's own forward pass.
 */
class LoraBackwardTest {
    static GgufFile file;
    static WorkerPool pool;
    static ModelConfig config;
    static CpuBackend tf;
    static BaseFingerprint fp;
    static TrainableLora params;
    static Backward backward;
    static GradientReference ref;
    static int count;
    static List<VeraSite> order;

    static LoraFile adapter() throws Exception {
        return PeftLora.read(Path.of(LoraBackwardTest.class.getResource("../lora/stories-lora-peft").toURI())).toLoraFile(fp);
    }

    @BeforeAll
    static void load() throws Exception {
        file = GgufFile.open(GradientReference.stories());
        pool = new WorkerPool(2);
        config = ModelConfig.fromMetadata(file.metadata());
        tf = new CpuBackend(config, ModelWeights.of(file, config), pool);
        fp = BaseFingerprint.of(file);
        LoraFile lora = adapter();
        order = new ArrayList<>(lora.sites().keySet());
        params = TrainableLora.of(lora, fp);
        ref = GradientReference.load("lora-gradients.txt");
        backward = new Backward(tf, params, 32);
        for (boolean m : ref.mask()) if (m) count++;
        params.zeroGrad();
        backward.run(ref.tokens(), ref.tokens().length - 1, ref.mask(), 1f / count);
    }

    @AfterAll
    static void close() {
        pool.close();
        file.close();
    }

    double meanLoss() { return backward.loss(ref.tokens(), ref.tokens().length - 1, ref.mask()) / count; }

    @Test
    void lossMatchesPyTorch() {
        assertEquals(ref.loss(), meanLoss(), 1e-4 * ref.loss());
    }

    /** Every A and B of every adapted layer: |analytic − torch| ≤ 1e-4 · max|torch| of that matrix (plus 1e-7). */
    @Test
    void gradientsMatchPyTorchAutograd() {
        for (VeraSite s : order) {
            String key = s.layer() + "." + s.target().peftName();
            float[][] g = params.gradients(s);
            float[] gb = g[1];
            if (s.target() == VeraTarget.Q || s.target() == VeraTarget.K) {
                gb = QkPermutation.rowsToHuggingFace(gb, fp.outputs(s.target()), 4, fp.headDim());
            }
            compare(s + " A", ref.grads().get("a." + key), g[0]);
            compare(s + " B", ref.grads().get("b." + key), gb);
        }
    }

    private static void compare(String what, double[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what);
        double max = 0, diff = 0;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs(expected[i]));
            diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(max > 0, what + ": reference gradient is zero");
        assertTrue(diff <= 1e-4 * max + 1e-7, what + ": max difference " + diff + " vs max |grad| " + max);
    }

    /**
     * Central differences of the float forward pass (eps = 1e-2) on the largest gradient component of A and of B of
     * every target in the first and last layer: within 1 % or 2e-4.
     */
    @Test
    void gradientsMatchFiniteDifferences() {
        float eps = 1e-2f;
        float[][] values = params.values(), grads = params.grads();
        for (int i = 0; i < order.size(); i++) {
            int layer = order.get(i).layer();
            if (layer != 0 && layer != config.blockCount() - 1) continue;
            for (int k = 2 * i; k <= 2 * i + 1; k++) {
                float[] v = values[k], g = grads[k];
                int j = 0;
                for (int x = 1; x < g.length; x++) if (Math.abs(g[x]) > Math.abs(g[j])) j = x;
                float saved = v[j];
                v[j] = saved + eps;
                double plus = meanLoss();
                v[j] = saved - eps;
                double minus = meanLoss();
                v[j] = saved;
                double fd = (plus - minus) / (2 * eps);
                assertEquals(fd, g[j], Math.max(1e-2 * Math.abs(fd), 2e-4),
                        order.get(i) + (k % 2 == 0 ? " B" : " A") + "[" + j + "]: finite difference " + fd + ", analytic " + g[j]);
            }
        }
    }

    /** The steady state of forward + backward with a LoRA allocates nothing on the training thread. */
    @Test
    void backwardAllocatesNothing() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        int n = ref.tokens().length - 1;
        long allocated = -1;
        for (int round = 0; round < 60 && allocated != 0; round++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 5; i++) backward.run(ref.tokens(), n, ref.mask(), 0f);
            allocated = threads.getCurrentThreadAllocatedBytes() - before;
        }
        assertEquals(0, allocated, "bytes allocated by 5 forward+backward passes in the steady state");
    }

    /** A fresh adapter changes nothing (B = 0) and its first step gives B a gradient only. */
    @Test
    void freshAdapterStartsFromTheBase() {
        LoraFile fresh = TrainableLora.fresh(fp, 2, 4f, java.util.EnumSet.of(VeraTarget.Q, VeraTarget.V), 7);
        TrainableLora p = TrainableLora.of(fresh, fp);
        Backward b = new Backward(tf, p, 32);
        TrainableLambdas none = TrainableLambdas.of(TrainableLambdas.freshAdapter(fp,
                new dev.vera4j.vera.VeraConfig(0, 4, 0.1f, java.util.EnumSet.of(VeraTarget.Q), List.of(), true)), fp);
        double base = new Backward(tf, none, 32).loss(ref.tokens(), ref.tokens().length - 1, ref.mask());
        p.zeroGrad();
        assertEquals(base, b.run(ref.tokens(), ref.tokens().length - 1, ref.mask(), 1f / count), 1e-6 * base);
        float[][] g = p.grads();
        for (int i = 0; i < g.length; i += 2) {
            assertTrue(java.util.Arrays.stream(toDouble(g[i])).anyMatch(x -> x != 0), "B gets a gradient");
            assertTrue(java.util.Arrays.stream(toDouble(g[i + 1])).allMatch(x -> x == 0), "A gets none while B = 0");
        }
        for (LoraMatrices m : fresh.sites().values()) assertEquals(2f, m.scale());
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
