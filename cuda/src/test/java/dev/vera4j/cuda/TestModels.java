package dev.vera4j.cuda;

import dev.vera4j.engine.model.RopeScaling;
import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufValue;
import dev.vera4j.gguf.GgufWriter;
import dev.vera4j.gguf.types.Codecs;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Small random models of each architecture the forward pass knows, with their matrices in a chosen type: llama with
 * Llama-3 {@code rope_freqs} and tied embeddings, mistral with linear rope scaling, qwen2 with q/k/v biases (NEOX
 * rope), qwen3 with per-head q/k norms. Dimensions are whole K-quant blocks (256) so every type fits.
 *
 * <pre>{@code
 * Path f = TestModels.write("qwen3", GgmlType.Q4_K, tmp);
 * }</pre>
 */
final class TestModels {
    static final String[] ARCHITECTURES = {"llama", "mistral", "qwen2", "qwen3"};
    static final int DIM = 256, HEADS = 4, KV_HEADS = 2, HEAD_DIM = 64, FFN = 512, LAYERS = 2, VOCAB = 320;

    private TestModels() {}

    static Path write(String arch, GgmlType type, Path dir) throws IOException {
        SplittableRandom rng = new SplittableRandom(arch.hashCode() * 31L + type.ordinal());
        GgufWriter w = new GgufWriter().version(3);
        w.put("general.architecture", GgufValue.ofString(arch));
        w.put(arch + ".vocab_size", GgufValue.ofUInt32(VOCAB));
        w.put(arch + ".context_length", GgufValue.ofUInt32(256));
        w.put(arch + ".embedding_length", GgufValue.ofUInt32(DIM));
        w.put(arch + ".block_count", GgufValue.ofUInt32(LAYERS));
        w.put(arch + ".feed_forward_length", GgufValue.ofUInt32(FFN));
        w.put(arch + ".attention.head_count", GgufValue.ofUInt32(HEADS));
        w.put(arch + ".attention.head_count_kv", GgufValue.ofUInt32(KV_HEADS));
        w.put(arch + ".attention.key_length", GgufValue.ofUInt32(HEAD_DIM));
        w.put(arch + ".rope.freq_base", GgufValue.ofFloat32(arch.equals("llama") ? 500000f : 10000f));
        w.put(arch + ".attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-5f));
        if (arch.equals("mistral")) {
            w.put(arch + ".rope.scaling.type", GgufValue.ofString("linear"));
            w.put(arch + ".rope.scaling.factor", GgufValue.ofFloat32(2f));
        }
        boolean tied = arch.equals("llama") || arch.equals("qwen2");
        matrix(w, "token_embd.weight", type, DIM, VOCAB, rng, 0.5f);
        vector(w, "output_norm.weight", norm(DIM, rng));
        if (!tied) matrix(w, "output.weight", type, DIM, VOCAB, rng, 0.1f);
        if (arch.equals("llama")) {
            vector(w, "rope_freqs.weight", new RopeScaling(RopeScaling.Type.LLAMA3, 8f, 1f, 4f, 64).llama3Divisors(500000f, HEAD_DIM));
        }
        int q = HEADS * HEAD_DIM, kv = KV_HEADS * HEAD_DIM;
        for (int l = 0; l < LAYERS; l++) {
            String p = "blk." + l + ".";
            vector(w, p + "attn_norm.weight", norm(DIM, rng));
            matrix(w, p + "attn_q.weight", type, DIM, q, rng, 0.1f);
            matrix(w, p + "attn_k.weight", type, DIM, kv, rng, 0.1f);
            matrix(w, p + "attn_v.weight", type, DIM, kv, rng, 0.1f);
            if (arch.equals("qwen2")) {
                vector(w, p + "attn_q.bias", uniform(q, rng, 0.2f));
                vector(w, p + "attn_k.bias", uniform(kv, rng, 0.2f));
                vector(w, p + "attn_v.bias", uniform(kv, rng, 0.2f));
            }
            if (arch.equals("qwen3")) {
                vector(w, p + "attn_q_norm.weight", norm(HEAD_DIM, rng));
                vector(w, p + "attn_k_norm.weight", norm(HEAD_DIM, rng));
            }
            matrix(w, p + "attn_output.weight", type, q, DIM, rng, 0.1f);
            vector(w, p + "ffn_norm.weight", norm(DIM, rng));
            matrix(w, p + "ffn_gate.weight", type, DIM, FFN, rng, 0.1f);
            matrix(w, p + "ffn_up.weight", type, DIM, FFN, rng, 0.1f);
            matrix(w, p + "ffn_down.weight", type, FFN, DIM, rng, 0.1f);
        }
        Path out = dir.resolve(arch + "-" + type + ".gguf");
        w.write(out);
        return out;
    }

    private static void matrix(GgufWriter w, String name, GgmlType type, int cols, int rows, SplittableRandom rng, float scale) {
        float[] v = uniform(rows * cols, rng, scale);
        byte[] bytes = new byte[(int) type.bytesFor(v.length)];
        Codecs.of(type).quantize(v, 0, v.length, MemorySegment.ofArray(bytes), 0);
        w.addTensor(name, type, new long[] {cols, rows}, MemorySegment.ofArray(bytes));
    }

    private static void vector(GgufWriter w, String name, float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        w.addTensor(name, GgmlType.F32, new long[] {v.length}, MemorySegment.ofArray(b.array()));
    }

    static float[] uniform(int n, SplittableRandom rng, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((rng.nextDouble() * 2 - 1) * scale);
        return v;
    }

    private static float[] norm(int n, SplittableRandom rng) {
        float[] v = uniform(n, rng, 0.2f);
        for (int i = 0; i < n; i++) v[i] += 1f;
        return v;
    }
}
