package dev.vera4j.tools;

import java.util.List;

/**
 * The hyper-parameters of a well-known model, for {@code vera4j make-model}: synthetic models of a real model's
 * exact shape, for benchmarks and tests without downloading weights.
 *
 * @param tokenizer  {@code spm} (SentencePiece, like Llama 2) or {@code bpe} (byte-level BPE, like Llama 3 / Qwen2)
 * @param pre        the BPE pre-tokenizer name ({@code tokenizer.ggml.pre}); unused for spm
 * @param llama3Rope whether to write Llama-3.1 {@code rope_freqs.weight} (factor 32, original context 8192)
 */
record ModelShape(String name, String architecture, int dim, int layers, int heads, int kvHeads, int ffn, int vocab,
                  int context, float ropeBase, float eps, boolean tied, boolean qkvBias, String tokenizer, String pre,
                  boolean llama3Rope) {

    static final List<ModelShape> ALL = List.of(
            new ModelShape("llama3-1b", "llama", 2048, 16, 32, 8, 8192, 128256, 131072, 500000f, 1e-5f, true, false, "bpe", "llama-bpe", true),
            new ModelShape("tinyllama-1b", "llama", 2048, 22, 32, 4, 5632, 32000, 2048, 10000f, 1e-5f, false, false, "spm", null, false),
            new ModelShape("qwen2-0.5b", "qwen2", 896, 24, 14, 2, 4864, 151936, 32768, 1000000f, 1e-6f, true, true, "bpe", "qwen2", false),
            new ModelShape("tiny", "llama", 64, 2, 4, 2, 128, 512, 256, 10000f, 1e-5f, false, false, "spm", null, false),
            // rows of 256 and more, so that every K-quant and IQ4_XS fits (tiny's 64 columns take llama.cpp's fallbacks)
            new ModelShape("small", "llama", 256, 2, 4, 1, 512, 512, 256, 10000f, 1e-5f, true, false, "spm", null, false),
            new ModelShape("tiny-llama3", "llama", 64, 2, 4, 2, 128, 1024, 512, 500000f, 1e-5f, true, false, "bpe", "llama-bpe", true),
            new ModelShape("tiny-qwen2", "qwen2", 64, 2, 4, 2, 128, 1024, 512, 1000000f, 1e-6f, true, true, "bpe", "qwen2", false),
            // the smallest llama-3 shape whose matrices are whole K-quant blocks (256), for Q4_K_M tests
            new ModelShape("small-llama3", "llama", 256, 2, 4, 2, 512, 1024, 512, 500000f, 1e-5f, true, false, "bpe", "llama-bpe", true));

    /** @throws UsageException for an unknown name */
    static ModelShape named(String name) {
        for (ModelShape s : ALL) if (s.name.equals(name)) return s;
        throw new UsageException("unknown shape '" + name + "' (one of " + ALL.stream().map(ModelShape::name).toList() + ")");
    }

    int headDim() { return dim / heads; }

    int kvDim() { return kvHeads * headDim(); }

    /** Parameters in all (embeddings counted once when tied). */
    long parameters() {
        long perLayer = 2L * dim + (long) dim * dim * 2 + 2L * dim * kvDim() + 3L * dim * ffn + (qkvBias ? dim + 2L * kvDim() : 0);
        return perLayer * layers + (long) vocab * dim * (tied ? 1 : 2) + dim;
    }
}
