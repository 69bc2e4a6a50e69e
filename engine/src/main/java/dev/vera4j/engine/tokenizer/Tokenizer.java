package dev.vera4j.engine.tokenizer;

/**
 * Text to token ids and back, with the same results as llama.cpp for the same GGUF vocabulary.
 *
 * <pre>{@code
 * Tokenizer tok = Tokenizers.fromMetadata(gguf.metadata());
 * int[] ids = tok.encode("Hello world", true, false);   // [1, 15043, 3186] for a Llama 2 vocabulary
 * String text = tok.decode(ids);                          // "Hello world"
 * }</pre>
 *
 * Implementations are immutable and safe to share between threads.
 */
public interface Tokenizer {
    /**
     * Tokenizes {@code text}.
     *
     * @param addSpecial   add BOS and/or EOS as the model's {@code add_bos_token}/{@code add_eos_token} flags say
     * @param parseSpecial recognise control tokens written in the text ({@code <|eot_id|>}, {@code <s>}, ...);
     *                     user-defined tokens are always recognised, as in llama.cpp
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /**
     * The text of {@code ids}, as llama.cpp's {@code detokenize} without removing or rendering special tokens:
     * control tokens give no text, SPM's added leading space is dropped, and invalid UTF-8 becomes U+FFFD.
     */
    String decode(int[] ids);

    /** The text one token stands for, special tokens shown as written (what {@code llama-tokenize} prints). */
    String piece(int id);

    /** The raw bytes of {@link #piece}, which may be part of a UTF-8 character (byte tokens). */
    byte[] pieceBytes(int id);

    int vocabSize();

    /** BOS token id, or -1 when the vocabulary has none. */
    int bos();

    /** EOS token id, or -1 when the vocabulary has none. */
    int eos();

    /** Whether generation should stop at {@code id}: EOS, EOT and the other end-of-turn tokens llama.cpp knows. */
    boolean isEndOfGeneration(int id);

    /** A fresh decoder for one stream of ids. */
    StreamingDecoder streamingDecoder();
}
