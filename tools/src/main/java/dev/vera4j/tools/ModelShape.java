package dev.vera4j.tools;

import java.util.List;

/**
 * The hyper-parameters of a well-known model, for {@code vera4j make-model}: synthetic models of a real model's
 * exact shape, for benchmarks and tests without downloading weights. What a family adds beyond the numbers here
 * follows from its architecture, as in its real files: q/k/v biases (qwen2, qwen2moe), per-head q/k norms (qwen3,
 * qwen3moe, gemma3), post-norms and soft-caps (gemma2), fused qkv and gate_up tensors (phi3).
 *
 * @param headDim    the head size when it is not {@code dim / heads} (0: {@code dim / heads})
 * @param tokenizer  {@code spm} (SentencePiece, like Llama 2 and Gemma) or {@code bpe} (byte-level BPE, like Llama 3 /
 *                   Qwen2)
 * @param pre        the BPE pre-tokenizer name ({@code tokenizer.ggml.pre}); unused for spm
 * @param llama3Rope whether to write Llama-3.1 {@code rope_freqs.weight} (factor 32, original context 8192)
 * @param moe        the experts of a mixture-of-experts model, or {@code null}
 * @param window     the sliding window (gemma2: alternate layers, gemma3: five of six, phi3: all); 0: none
 * @param originalContext Phi-3's LongRoPE: the original context (short and long factors are written); 0: none
 */
record ModelShape(String name, String architecture, int dim, int layers, int heads, int kvHeads, int headDim, int ffn,
                  int vocab, int context, float ropeBase, float eps, boolean tied, String tokenizer, String pre,
                  boolean llama3Rope, Moe moe, int window, int originalContext) {

    /** @param sharedFfn the shared expert's hidden width (qwen2moe); 0: none */
    record Moe(int experts, int used, int ffn, int sharedFfn) {}

    static final List<ModelShape> ALL = List.of(
            dense("llama3-1b", "llama", 2048, 16, 32, 8, 8192, 128256, 131072, 500000f, 1e-5f, true, "bpe", "llama-bpe", true),
            dense("tinyllama-1b", "llama", 2048, 22, 32, 4, 5632, 32000, 2048, 10000f, 1e-5f, false, "spm", null, false),
            dense("qwen2-0.5b", "qwen2", 896, 24, 14, 2, 4864, 151936, 32768, 1000000f, 1e-6f, true, "bpe", "qwen2", false),
            // Qwen3-30B-A3B's layout (48 layers, dim 2048, 32/4 heads of 128 with q/k norms, experts of 768, 8 of them per
            // token: 3.0B parameters active per token) with 64 experts per layer instead of 128, so that the 16B model
            // fits this 24 GiB machine (Q4_0: 8.4 GiB); decode reads the same bytes per token as the real model's (Q4_0: 1.73 GB)
            new ModelShape("qwen3moe-a3b-64x", "qwen3moe", 2048, 48, 32, 4, 128, 6144, 151936, 40960, 1000000f, 1e-6f, false,
                    "bpe", "qwen2", false, new Moe(64, 8, 768, 0), 0, 0),
            // the same layout as a Mixtral-style llama, which llama.cpp's snapshot runs (it has no qwen3moe)
            new ModelShape("llama-moe-a3b-64x", "llama", 2048, 48, 32, 4, 128, 768, 151936, 40960, 1000000f, 1e-6f, false,
                    "bpe", "qwen2", false, new Moe(64, 8, 768, 0), 0, 0),
            new ModelShape("qwen3moe-30b-a3b", "qwen3moe", 2048, 48, 32, 4, 128, 6144, 151936, 40960, 1000000f, 1e-6f, false,
                    "bpe", "qwen2", false, new Moe(128, 8, 768, 0), 0, 0),
            dense("tiny", "llama", 64, 2, 4, 2, 128, 512, 256, 10000f, 1e-5f, false, "spm", null, false),
            // rows of 256 and more, so that every K-quant and IQ4_XS fits (tiny's 64 columns take llama.cpp's fallbacks)
            dense("small", "llama", 256, 2, 4, 1, 512, 512, 256, 10000f, 1e-5f, true, "spm", null, false),
            dense("tiny-llama3", "llama", 64, 2, 4, 2, 128, 1024, 512, 500000f, 1e-5f, true, "bpe", "llama-bpe", true),
            dense("tiny-qwen2", "qwen2", 64, 2, 4, 2, 128, 1024, 512, 1000000f, 1e-6f, true, "bpe", "qwen2", false),
            // a small but real llama-3 shape (94M parameters, 1B's layer width), for memory figures measured against RSS
            dense("mid-llama3", "llama", 1024, 4, 16, 4, 4096, 32000, 2048, 500000f, 1e-5f, true, "bpe", "llama-bpe", true),
            // the smallest llama-3 shape whose matrices are whole K-quant blocks (256), for Q4_K_M tests
            dense("small-llama3", "llama", 256, 2, 4, 2, 512, 1024, 512, 500000f, 1e-5f, true, "bpe", "llama-bpe", true),
            new ModelShape("tiny-gemma2", "gemma2", 64, 2, 4, 2, 32, 128, 512, 512, 10000f, 1e-6f, true, "spm", null, false, null, 16, 0),
            new ModelShape("tiny-gemma3", "gemma3", 64, 6, 4, 2, 32, 128, 512, 512, 1000000f, 1e-6f, true, "spm", null, false, null, 16, 0),
            new ModelShape("tiny-phi3", "phi3", 64, 2, 4, 4, 0, 128, 512, 1024, 10000f, 1e-5f, false, "spm", null, false, null, 64, 256),
            new ModelShape("tiny-mixtral", "llama", 64, 2, 4, 2, 0, 96, 512, 512, 1000000f, 1e-5f, false, "spm", null, false,
                    new Moe(4, 2, 96, 0), 0, 0),
            new ModelShape("tiny-qwen2moe", "qwen2moe", 64, 2, 4, 2, 0, 128, 1024, 512, 1000000f, 1e-6f, false, "bpe", "qwen2", false,
                    new Moe(8, 4, 64, 128), 0, 0),
            new ModelShape("tiny-qwen3moe", "qwen3moe", 64, 2, 4, 2, 32, 128, 1024, 512, 1000000f, 1e-6f, false, "bpe", "qwen2", false,
                    new Moe(16, 4, 64, 0), 0, 0));

    private static ModelShape dense(String name, String arch, int dim, int layers, int heads, int kvHeads, int ffn, int vocab,
                                    int context, float ropeBase, float eps, boolean tied, String tokenizer, String pre, boolean llama3Rope) {
        return new ModelShape(name, arch, dim, layers, heads, kvHeads, 0, ffn, vocab, context, ropeBase, eps, tied, tokenizer, pre,
                llama3Rope, null, 0, 0);
    }

    /** @throws UsageException for an unknown name */
    static ModelShape named(String name) {
        for (ModelShape s : ALL) if (s.name.equals(name)) return s;
        throw new UsageException("unknown shape '" + name + "' (one of " + ALL.stream().map(ModelShape::name).toList() + ")");
    }

    int headSize() { return headDim > 0 ? headDim : dim / heads; }

    int qDim() { return heads * headSize(); }

    int kvDim() { return kvHeads * headSize(); }

    boolean qkvBias() { return architecture.equals("qwen2") || architecture.equals("qwen2moe"); }

    boolean qkNorm() { return architecture.equals("qwen3") || architecture.equals("qwen3moe") || architecture.equals("gemma3"); }

    boolean gemma() { return architecture.startsWith("gemma"); }

    /** Phi-3 stores q, k, v as one {@code attn_qkv} and gate, up as one {@code ffn_up}. */
    boolean fused() { return architecture.equals("phi3"); }

    /** Parameters in all (embeddings counted once when tied). */
    long parameters() {
        long attention = (long) dim * qDim() * 2 + 2L * dim * kvDim() + (qkvBias() ? qDim() + 2L * kvDim() : 0) + (qkNorm() ? 2L * headSize() : 0);
        long norms = (gemma() ? 4L : 2L) * dim;
        long ffnParams = moe == null ? 3L * dim * ffn
                : (long) moe.experts() * (dim + 3L * dim * moe.ffn()) + (moe.sharedFfn() > 0 ? dim + 3L * dim * moe.sharedFfn() : 0);
        return (attention + norms + ffnParams) * layers + (long) vocab * dim * (tied ? 1 : 2) + dim;
    }

    /** Parameters one token's decode multiplies: every attention matrix, the chosen experts, the output projection. */
    long activeParameters() {
        if (moe == null) return parameters() - (tied ? 0 : (long) vocab * dim);
        long inactive = (long) (moe.experts() - moe.used()) * 3L * dim * moe.ffn() * layers;
        return parameters() - inactive - (tied ? 0 : (long) vocab * dim);
    }
}
