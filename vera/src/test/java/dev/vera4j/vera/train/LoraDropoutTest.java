package dev.vera4j.vera.train;

import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.engine.model.ModelWeights;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.VeraSite;
import dev.vera4j.vera.lora.LoraFile;
import dev.vera4j.vera.peft.PeftLora;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link Dropout} on a {@link TrainableLora} (the committed stories260K LoRA of {@link LoraBackwardTest}): the mask's
 * statistics and determinism, analytic gradients at a fixed mask against central finite differences of the same
 * masked forward pass, evaluation without dropout, {@code p = 0} bit-identical to no dropout, and no allocation.
 */
class LoraDropoutTest {
    static final double P = 0.3;
    static GgufFile file;
    static WorkerPool pool;
    static ModelConfig config;
    static CpuBackend tf;
    static BaseFingerprint fp;
    static GradientReference ref;
    static int count, n;
    static List<VeraSite> order;

    @BeforeAll
    static void load() throws Exception {
        file = GgufFile.open(GradientReference.stories());
        pool = new WorkerPool(2);
        config = ModelConfig.fromMetadata(file.metadata());
        tf = new CpuBackend(config, ModelWeights.of(file, config), pool);
        fp = BaseFingerprint.of(file);
        ref = GradientReference.load("lora-gradients.txt");
        n = ref.tokens().length - 1;
        for (boolean m : ref.mask()) if (m) count++;
        order = new ArrayList<>(adapter().sites().keySet());
    }

    @AfterAll
    static void close() {
        pool.close();
        file.close();
    }

    static LoraFile adapter() throws Exception {
        return PeftLora.read(Path.of(LoraDropoutTest.class.getResource("../lora/stories-lora-peft").toURI())).toLoraFile(fp);
    }

    static TrainableLora lora(Dropout d) throws Exception {
        LoraFile f = adapter();
        return d == null ? TrainableLora.of(f, fp) : TrainableLora.of(f, fp, d);
    }

    @Test
    void fractionDroppedIsPAndKeptAreScaled() {
        Dropout d = new Dropout(P, 11);
        d.at(5, 1);
        d.training(true);
        int tokens = 200, in = 512;
        float[] x = new float[tokens * in], y = new float[tokens * in];
        Arrays.fill(x, 1f);
        d.apply(3, 2, x, 0, y, 0, tokens, in);
        int dropped = 0;
        for (float v : y) {
            if (v == 0) dropped++;
            else assertEquals((float) (1 / (1 - P)), v, "a kept element is scaled by 1/(1-p)");
        }
        double fraction = dropped / (double) y.length;   // σ ≈ 0.0014 for 102400 draws
        assertEquals(P, fraction, 0.01, "fraction dropped");
        // per feature too: no column is always kept or always dropped
        for (int i = 0; i < in; i += 97) {
            int col = 0;
            for (int t = 0; t < tokens; t++) if (y[t * in + i] == 0) col++;
            assertTrue(col > 20 && col < 110, "feature " + i + " dropped " + col + " of " + tokens);
        }
        float[] same = new float[y.length], other = new float[y.length], layer = new float[y.length];
        d.apply(3, 2, x, 0, same, 0, tokens, in);
        assertArrayEquals(y, same, "the same key draws the same mask");
        d.at(5, 2);
        d.apply(3, 2, x, 0, other, 0, tokens, in);
        d.at(5, 1);
        d.apply(4, 2, x, 0, layer, 0, tokens, in);
        assertFalse(Arrays.equals(y, other), "another example draws another mask");
        assertFalse(Arrays.equals(y, layer), "another layer draws another mask");
        float[] shifted = new float[in];
        d.apply(3, 2, 7, x, 0, shifted, 0, 1, in);
        assertArrayEquals(Arrays.copyOfRange(y, 7 * in, 8 * in), shifted, "a token's mask depends on its position, not its block");
        d.training(false);
        d.apply(3, 2, x, 0, same, 0, tokens, in);
        assertArrayEquals(x, same, "evaluation does not drop");
        assertThrows(IllegalArgumentException.class, () -> new Dropout(1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Dropout(-0.1, 0));
    }

    /**
     * At a fixed mask the training loss is a smooth function of A and B: central differences of {@link Backward#run}'s
     * loss (scale 0: no gradient added) on the largest component of A and B of every target in the first and last
     * layer agree with the analytic gradients within 1 % or 2e-4. The first layer's gradients flow through the later
     * layers' masked input gradients.
     */
    @Test
    void gradientsMatchFiniteDifferencesAtAFixedMask() throws Exception {
        Dropout d = new Dropout(P, 4);
        d.at(3, 0);
        TrainableLora p = lora(d);
        Backward b = new Backward(tf, p, 32);
        p.zeroGrad();
        double trainLoss = b.run(ref.tokens(), n, ref.mask(), 1f / count);
        double evalLoss = b.loss(ref.tokens(), n, ref.mask());
        TrainableLora plain = lora(null);
        Backward pb = new Backward(tf, plain, 32);
        plain.zeroGrad();
        pb.run(ref.tokens(), n, ref.mask(), 1f / count);
        assertEquals(pb.loss(ref.tokens(), n, ref.mask()), evalLoss, 0, "evaluation runs without dropout");
        assertNotEquals(evalLoss, trainLoss, "training drops");
        float[][] values = p.values(), grads = p.grads(), plainGrads = plain.grads();
        float eps = 1e-2f;
        for (int i = 0; i < order.size(); i++) {
            int layer = order.get(i).layer();
            if (layer != 0 && layer != config.blockCount() - 1) continue;
            for (int k = 2 * i; k <= 2 * i + 1; k++) {
                float[] v = values[k], g = grads[k];
                assertFalse(Arrays.equals(g, plainGrads[k]), "dropout changes the gradient of " + order.get(i));
                int j = 0;
                for (int x = 1; x < g.length; x++) if (Math.abs(g[x]) > Math.abs(g[j])) j = x;
                float saved = v[j];
                v[j] = saved + eps;
                double plus = b.run(ref.tokens(), n, ref.mask(), 0f) / count;
                v[j] = saved - eps;
                double minus = b.run(ref.tokens(), n, ref.mask(), 0f) / count;
                v[j] = saved;
                double fd = (plus - minus) / (2 * eps);
                assertEquals(fd, g[j], Math.max(1e-2 * Math.abs(fd), 2e-4),
                        order.get(i) + (k % 2 == 0 ? " B" : " A") + "[" + j + "]: finite difference " + fd + ", analytic " + g[j]);
            }
        }
    }

    /** {@code p = 0} gives the same loss and gradients, bit for bit, as an adapter without dropout. */
    @Test
    void zeroDropoutIsNoDropout() throws Exception {
        Dropout zero = new Dropout(0, 4);
        zero.at(1, 0);
        TrainableLora p = lora(zero), plain = lora(null);
        Backward b = new Backward(tf, p, 32), pb = new Backward(tf, plain, 32);
        p.zeroGrad();
        plain.zeroGrad();
        assertEquals(pb.run(ref.tokens(), n, ref.mask(), 1f / count), b.run(ref.tokens(), n, ref.mask(), 1f / count), 0);
        for (int k = 0; k < p.grads().length; k++) assertArrayEquals(plain.grads()[k], p.grads()[k], "array " + k);
    }

    /** Forward + backward with dropout allocates nothing in the steady state. */
    @Test
    void backwardWithDropoutAllocatesNothing() throws Exception {
        Dropout d = new Dropout(P, 4);
        TrainableLora p = lora(d);
        Backward b = new Backward(tf, p, 32);
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long allocated = -1;
        for (int round = 0; round < 60 && allocated != 0; round++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 5; i++) {
                d.at(round, i);
                b.run(ref.tokens(), n, ref.mask(), 0f);
            }
            allocated = threads.getCurrentThreadAllocatedBytes() - before;
        }
        assertEquals(0, allocated, "bytes allocated by 5 forward+backward passes with dropout in the steady state");
    }
}
