package dev.vera4j.tools;

import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufTensor;
import dev.vera4j.gguf.GgufWriter;
import dev.vera4j.gguf.types.Codecs;
import dev.vera4j.simd.Weights;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A model in each quantized type against the same weights dequantized to F32: the quantized model runs the type's
 * kernels (packed copies, int8 activations in decode, the panel over packed rows in prefill), the F32 twin plain float
 * products, so their logits differ only by the int8 activations' rounding. {@code make-model --shape small} has rows of
 * 256 and more, so every type is used in every matrix ({@code --pure}; the output matrix too).
 */
class QuantizedModelsTest {
    @TempDir Path dir;

    /**
     * The largest logit difference allowed, relative to the largest F32 logit: int8 activations round each value by up
     * to 1/254 of its block's maximum. Measured: at most 0.006 in decode, 0.0036 after the prompt, for every type.
     */
    static final double TOLERANCE = 0.02;

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "IQ4_NL", "IQ4_XS"})
    void logitsMatchTheDequantizedWeights(QuantMix mix) throws Exception {
        Path quant = dir.resolve(mix + ".gguf"), f32 = dir.resolve(mix + ".f32.gguf");
        MakeModelCommand.writer(ModelShape.named("small"), mix, true, 3).write(quant);
        try (GgufFile f = GgufFile.open(quant)) {
            assertEquals(mix.base, f.tensor("blk.1.ffn_down.weight").type());
            dequantized(f).write(f32);
        }
        int[] prompt = new int[24];
        for (int i = 0; i < prompt.length; i++) prompt[i] = 3 + (i * 37) % 500;
        try (Model q = Model.load(quant, 2); Model r = Model.load(f32, 2)) {
            if (Weights.packingEnabled() && mix != QuantMix.Q8_0) {
                assertTrue(((dev.vera4j.engine.backend.cpu.CpuBackend) q.backend()).weights().layer(0).gate().packed() != null, "packed copies in use");
            }
            var sq = q.newSession(64, KvType.F32);
            var sr = r.newSession(64, KvType.F32);
            float[] lq = sq.ingest(prompt).clone(), lr = sr.ingest(prompt).clone();   // prefill: many-token products
            compare(lq, lr, mix + " after the prompt");
            for (int step = 0; step < 6; step++) {   // decode: one-token products, the greedy token of the F32 model
                int next = argmax(lr);
                lq = sq.ingest(new int[] {next}).clone();
                lr = sr.ingest(new int[] {next}).clone();
                compare(lq, lr, mix + " decode step " + step);
                int a = argmax(lq), b = argmax(lr);
                if (margin(lr) > 4 * TOLERANCE * maxAbs(lr)) assertEquals(b, a, mix + " greedy token at step " + step);
            }
        }
    }

    private static void compare(float[] got, float[] want, String what) {
        double scale = maxAbs(want), worst = 0;
        for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
        assertTrue(worst <= TOLERANCE * scale, what + ": logits differ by " + worst + " of " + scale);
    }

    private static double maxAbs(float[] v) {
        double m = 0;
        for (float x : v) m = Math.max(m, Math.abs(x));
        return m;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /** The gap between the largest and the second largest logit. */
    private static double margin(float[] v) {
        float a = Float.NEGATIVE_INFINITY, b = Float.NEGATIVE_INFINITY;
        for (float x : v) {
            if (x > a) { b = a; a = x; } else if (x > b) b = x;
        }
        return a - b;
    }

    /** The same model with every quantized tensor decoded to F32 by the codecs' ggml-exact scalar path. */
    private static GgufWriter dequantized(GgufFile f) {
        GgufWriter w = GgufWriter.copyOf(f);
        for (GgufTensor t : f.tensors().values()) {
            if (!t.type().isQuantized()) continue;
            int n = Math.toIntExact(t.elementCount());
            float[] v = new float[n];
            Codecs.of(t.type()).dequantizeReference(t.data(), 0, v, 0, n);
            ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
            for (float x : v) b.putFloat(x);
            w.removeTensor(t.name()).addTensor(t.name(), GgmlType.F32, t.shape(), MemorySegment.ofArray(b.array()));
        }
        return w.put("general.file_type", dev.vera4j.gguf.GgufValue.ofUInt32(0));
    }
}
