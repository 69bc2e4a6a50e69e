package dev.vera4j.vera.train;

import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.model.ModelWeights;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.vera.AdapterFile;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.PeftAdapters;
import dev.vera4j.vera.VeraTarget;
import dev.vera4j.vera.peft.PeftImporter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Analytic λ gradients of {@link Backward} on stories260K with a random VeRA adapter (r = 16, all seven projections,
 * the committed PEFT adapter of {@code peft_vera_reference.py}) against PyTorch float64 autograd
 * ({@code vera_gradients.py}) and against central finite differences of the engine's own forward pass.
 */
class BackwardTest {
    static GgufFile file;
    static WorkerPool pool;
    static ModelConfig config;
    static CpuBackend tf;
    static TrainableLambdas params;
    static Backward backward;
    static GradientReference ref;
    static int count;
    static AdapterFile adapter;
    static BaseFingerprint fp;

    @BeforeAll
    static void load() throws Exception {
        file = GgufFile.open(GradientReference.stories());
        pool = new WorkerPool(2);
        config = ModelConfig.fromMetadata(file.metadata());
        tf = new CpuBackend(config, ModelWeights.of(file, config), pool);
        fp = BaseFingerprint.of(file);
        Path peft = Path.of(BackwardTest.class.getResource("../stories/stories-vera").toURI());
        adapter = PeftAdapters.fromPeft(PeftImporter.read(peft), fp);
        params = TrainableLambdas.of(adapter, fp);
        ref = GradientReference.load();
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

    /** Every λ of every adapted site: |analytic − torch| ≤ 1e-4 · max|torch| of that vector (plus 1e-6). */
    @Test
    void gradientsMatchPyTorchAutograd() {
        double worst = 0;
        for (TrainableLambdas.Site s : params.sites()) {
            String module = s.site().target().peftName();
            double[] gb = ref.grad(true, s.site().layer(), module), gd = ref.grad(false, s.site().layer(), module);
            worst = Math.max(worst, compare(s + " λ_b", gb, params.gradBHuggingFace(s)));
            worst = Math.max(worst, compare(s + " λ_d", gd, s.gradD()));
        }
        System.out.println("worst relative gradient difference vs PyTorch: " + worst);
    }

    private static double compare(String what, double[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what);
        double max = 0, diff = 0;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs(expected[i]));
            diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(max > 0, what + ": reference gradient is zero");
        assertTrue(diff <= 1e-4 * max + 1e-7, what + ": max difference " + diff + " vs max |grad| " + max);
        return diff / max;
    }

    /**
     * Central differences of the float forward pass (eps = 1e-2 on λ's of magnitude ~0.5; the loss is summed in
     * double): for every target type in the first and last layer, the largest λ_b and λ_d gradient components agree
     * within 1 % (relative) or 2e-4 (absolute).
     */
    @Test
    void gradientsMatchFiniteDifferences() {
        float eps = 1e-2f;
        for (int layer : new int[] {0, config.blockCount() - 1}) {
            for (VeraTarget t : dev.vera4j.vera.TestAdapters.DENSE) {
                TrainableLambdas.Site s = params.site(layer, t);
                for (boolean isB : new boolean[] {true, false}) {
                    float[] lambda = isB ? s.lambdaB() : s.lambdaD(), grad = isB ? s.gradB() : s.gradD();
                    int i = argMaxAbs(grad);
                    float saved = lambda[i];
                    lambda[i] = saved + eps;
                    double plus = meanLoss();
                    lambda[i] = saved - eps;
                    double minus = meanLoss();
                    lambda[i] = saved;
                    double fd = (plus - minus) / (2 * eps);
                    assertEquals(fd, grad[i], Math.max(1e-2 * Math.abs(fd), 2e-4),
                            s + (isB ? " λ_b[" : " λ_d[") + i + "]: finite difference " + fd + ", analytic " + grad[i]);
                }
            }
        }
    }

    private static int argMaxAbs(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (Math.abs(v[i]) > Math.abs(v[best])) best = i;
        return best;
    }

    /** The steady state of forward + backward allocates nothing on the training thread. */
    @Test
    void backwardAllocatesNothing() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        int n = ref.tokens().length - 1;
        long allocated = -1;
        // until C2 has compiled the kernels the Vector API may still allocate; a real per-call allocation shows every round
        for (int round = 0; round < 60 && allocated != 0; round++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 5; i++) backward.run(ref.tokens(), n, ref.mask(), 0f);
            allocated = threads.getCurrentThreadAllocatedBytes() - before;
        }
        assertEquals(0, allocated, "bytes allocated by 5 forward+backward passes in the steady state");
    }

    /**
     * Gradient checkpointing recomputes each block from its input with the engine's own block
     * ({@code CpuBackend.block}), the code and fixed-order products of the forward pass: the same loss and gradients as
     * keeping every activation, bit for bit.
     */
    @Test
    void recomputationMatchesKeptActivations() {
        int n = ref.tokens().length - 1;
        TrainableLambdas keptParams = TrainableLambdas.of(adapter, fp), p = TrainableLambdas.of(adapter, fp);
        Backward kept = new Backward(tf, keptParams, 32), checkpointed = new Backward(tf, p, 32, true);
        keptParams.zeroGrad();
        p.zeroGrad();
        double keptLoss = kept.run(ref.tokens(), n, ref.mask(), 1f / count);
        double loss = checkpointed.run(ref.tokens(), n, ref.mask(), 1f / count);
        assertEquals(keptLoss, loss);
        assertEquals(ref.loss(), loss / count, 1e-4 * ref.loss());
        for (TrainableLambdas.Site s : p.sites()) {
            TrainableLambdas.Site k = keptParams.site(s.site().layer(), s.site().target());
            assertArrayEquals(k.gradB(), s.gradB(), s + " λ_b");
            assertArrayEquals(k.gradD(), s.gradD(), s + " λ_d");
        }
        assertTrue(Backward.bytesFor(config, 256, true) < Backward.bytesFor(config, 256, false));
    }
}
