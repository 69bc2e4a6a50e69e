package dev.vera4j.engine.api;

/**
 * Turns a stream of token ids into text as it becomes complete (a token may end in the middle of a UTF-8 character).
 * A model's tokenizer provides one per generation.
 */
public interface TextDecoder {
    /** Adds a token; returns the text completed by it (possibly empty). */
    String accept(int id);

    /** Returns whatever is left at the end. */
    String flush();
}
