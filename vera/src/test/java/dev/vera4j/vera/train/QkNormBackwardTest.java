package dev.vera4j.vera.train;

import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.model.ModelWeights;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufValue;
import dev.vera4j.gguf.GgufWriter;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.vera.AdapterFile;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.VeraConfig;
import dev.vera4j.vera.VeraTarget;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Training through qwen3's per-head q/k RMSNorms: stories260K's weights rewritten as a qwen3 model (NEOX RoPE, random
 * q/k norm weights), a random adapter on all seven targets, and λ gradients against central finite differences of the
 * engine's own forward pass, with and without gradient checkpointing.
 */
class QkNormBackwardTest {
    @TempDir Path dir;

    @Test
    void gradientsThroughQkNormsMatchFiniteDifferences() throws Exception {
        Path qwen3 = dir.resolve("stories-qwen3.gguf");
        Random rnd = new Random(7);
        try (GgufFile src = GgufFile.open(GradientReference.stories()); Arena arena = Arena.ofConfined()) {
            GgufWriter out = GgufWriter.copyOf(src);
            for (String key : List.copyOf(out.metadata().keys())) {
                if (!key.startsWith("llama.")) continue;
                GgufValue v = out.metadata().asMap().get(key);
                out.remove(key).put("qwen3." + key.substring("llama.".length()), v);
            }
            out.put("general.architecture", GgufValue.ofString("qwen3"));
            ModelConfig llama = ModelConfig.fromMetadata(src.metadata());
            int hd = llama.headDim();
            for (int l = 0; l < llama.blockCount(); l++) {
                for (String name : new String[] {"attn_q_norm", "attn_k_norm"}) {
                    MemorySegment gamma = arena.allocate(4L * hd);
                    for (int i = 0; i < hd; i++) gamma.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, 0.5f + rnd.nextFloat());
                    out.addTensor("blk." + l + "." + name + ".weight", GgmlType.F32, new long[] {hd}, gamma);
                }
            }
            out.write(qwen3);
        }
        try (GgufFile file = GgufFile.open(qwen3); WorkerPool pool = new WorkerPool(2)) {
            ModelConfig config = ModelConfig.fromMetadata(file.metadata());
            assertTrue(config.qkNorm(), "the rewritten model has q/k norms");
            CpuBackend tf = new CpuBackend(config, ModelWeights.of(file, config), pool);
            BaseFingerprint fp = BaseFingerprint.of(file);
            AdapterFile fresh = TrainableLambdas.freshAdapter(fp, new VeraConfig(3, 8, 0.1f, dev.vera4j.vera.TestAdapters.DENSE, List.of(), true));
            GradientReference ref = GradientReference.load();
            int n = ref.tokens().length - 1;
            for (boolean recompute : new boolean[] {false, true}) {
                TrainableLambdas params = TrainableLambdas.of(fresh, fp);
                Random r = new Random(5);
                for (TrainableLambdas.Site s : params.sites()) {   // λ_b is zero in a fresh adapter: no gradient would reach λ_d
                    for (int i = 0; i < s.lambdaB().length; i++) s.lambdaB()[i] = 0.2f * (r.nextFloat() - 0.5f);
                }
                Backward backward = new Backward(tf, params, 32, recompute);
                params.zeroGrad();
                backward.run(ref.tokens(), n, ref.mask(), 1f);
                float h = 8e-2f;
                for (int layer : new int[] {0, config.blockCount() - 1}) {
                    for (VeraTarget t : new VeraTarget[] {VeraTarget.Q, VeraTarget.K}) {
                        TrainableLambdas.Site s = params.site(layer, t);
                        for (boolean isB : new boolean[] {true, false}) {
                            float[] lambda = isB ? s.lambdaB() : s.lambdaD(), grad = isB ? s.gradB() : s.gradD();
                            int i = 0;
                            for (int j = 1; j < grad.length; j++) if (Math.abs(grad[j]) > Math.abs(grad[i])) i = j;
                            // a wide step: the float32 loss carries ~1e-5 of rounding noise, which smaller steps turn
                            // into several % of error (measured 0.08 % off at h = 0.08, up to 8 % at h = 0.0025)
                            double fd = central(backward, lambda, i, h, ref, n);
                            assertTrue(Math.abs(grad[i]) > 1e-3, s.site() + ": a gradient too small to test: " + grad[i]);
                            assertEquals(fd, grad[i], 1e-2 * Math.abs(fd) + 1e-4, "recompute=" + recompute + " " + s.site()
                                    + (isB ? " λ_b[" : " λ_d[") + i + "]: finite difference " + fd + ", analytic " + grad[i]);
                        }
                    }
                }
            }
        }
    }

    private static double central(Backward backward, float[] lambda, int i, float h, GradientReference ref, int n) {
        float saved = lambda[i];
        lambda[i] = saved + h;
        double plus = backward.loss(ref.tokens(), n, ref.mask());
        lambda[i] = saved - h;
        double minus = backward.loss(ref.tokens(), n, ref.mask());
        lambda[i] = saved;
        return (plus - minus) / (2.0 * h);
    }
}
