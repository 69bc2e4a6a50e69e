package dev.vera4j.engine.api;

/** Why a generation ended. */
public enum StopReason {
    /** The model produced an end-of-generation token (EOS/EOT). */
    END_OF_GENERATION,
    /** A token of {@link GenerateOptions#stopTokens()} was produced. */
    STOP_TOKEN,
    /** A string of {@link GenerateOptions#stopStrings()} appeared in the text. */
    STOP_STRING,
    /** {@link GenerateOptions#maxTokens()} tokens were generated. */
    MAX_TOKENS,
    /** The session's context is full. */
    CONTEXT_FULL
}
