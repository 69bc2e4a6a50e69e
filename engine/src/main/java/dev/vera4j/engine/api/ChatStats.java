package dev.vera4j.engine.api;

/**
 * Running totals of a {@link Chat}.
 *
 * <pre>{@code
 * ChatStats s = chat.stats();
 * System.out.println(s.generatedTokens() + " tokens at " + s.generationTokensPerSecond() + " tok/s");
 * }</pre>
 *
 * @param replies         answers generated
 * @param promptTokens    tokens prefilled (only what the cache did not already hold)
 * @param generatedTokens tokens sampled
 * @param contextUsed     positions of the context in use now
 */
public record ChatStats(int replies, long promptTokens, long promptNanos, long generatedTokens, long generationNanos,
                        int contextUsed, int contextLength) {
    public double promptTokensPerSecond() { return promptNanos <= 0 ? 0 : promptTokens * 1e9 / promptNanos; }

    public double generationTokensPerSecond() { return generationNanos <= 0 ? 0 : generatedTokens * 1e9 / generationNanos; }
}
