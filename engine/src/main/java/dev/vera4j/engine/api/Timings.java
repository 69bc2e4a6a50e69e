package dev.vera4j.engine.api;

/**
 * How long a generation took: prompt processing (one batched forward pass over the prompt) and generation (sampling
 * and one single-token pass per generated token).
 *
 * @param promptTokens    tokens fed to the model before the first sample
 * @param generatedTokens tokens sampled
 */
public record Timings(int promptTokens, long promptNanos, int generatedTokens, long generationNanos) {
    /** Prompt tokens processed per second (0 when none). */
    public double promptTokensPerSecond() { return rate(promptTokens, promptNanos); }

    /** Tokens generated per second (0 when none). */
    public double generationTokensPerSecond() { return rate(generatedTokens, generationNanos); }

    private static double rate(int tokens, long nanos) { return tokens == 0 || nanos <= 0 ? 0 : tokens * 1e9 / nanos; }
}
