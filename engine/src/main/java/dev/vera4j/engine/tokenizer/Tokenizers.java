package dev.vera4j.engine.tokenizer;

import dev.vera4j.gguf.GgufMetadata;

/**
 * Builds the tokenizer a GGUF file describes ({@code tokenizer.ggml.*} keys).
 *
 * <pre>{@code
 * try (GgufFile f = GgufFile.open(Path.of("model.gguf"))) {
 *     Tokenizer tok = Tokenizers.fromMetadata(f.metadata());
 * }
 * }</pre>
 */
public final class Tokenizers {
    private Tokenizers() {}

    /**
     * @throws TokenizerException when the vocabulary is missing, malformed, or of a kind not supported
     *                            (supported: {@code llama} SentencePiece BPE and {@code gpt2} byte-level BPE)
     */
    public static Tokenizer fromMetadata(GgufMetadata metadata) {
        Vocab vocab = Vocab.fromMetadata(metadata);
        BpeMerges merges = null;
        if (vocab.kind == Vocab.Kind.BPE) {
            if (!metadata.has("tokenizer.ggml.merges")) throw new TokenizerException("tokenizer.ggml.merges is missing for a gpt2 (BPE) vocabulary");
            merges = BpeMerges.build(vocab.texts, metadata.getStringArray("tokenizer.ggml.merges"));
        }
        return new LlamaTokenizer(vocab, merges);
    }
}
