package dev.vera4j.engine.api;

/** Receives tokens as they are generated, with the text that has become printable (possibly empty). */
@FunctionalInterface
public interface GenerationListener {
    /** Ignores everything. */
    GenerationListener NONE = (id, text) -> { };

    /**
     * @param id   the sampled token, or -1 for text released at the end (held back by the decoder or a stop-string check)
     * @param text new printable text: complete UTF-8 characters, never part of a stop string (may be empty)
     */
    void onToken(int id, String text);
}
