package dev.vera4j.tools;

/**
 * The default KV cache length of a one-shot run: the prompt plus the tokens it may generate, at most {@code cap} (the
 * model's context, at most 4096). The cache is the largest buffer a session allocates (128 MiB for 4096 positions of
 * a 1B Llama in F16), so a 16-token answer should not reserve room for thousands.
 *
 * <pre>{@code
 * int ctx = ContextSize.forRun(promptIds.length, 16, 4096);   // prompt + 16
 * }</pre>
 */
final class ContextSize {
    private ContextSize() {}

    /** @param maxTokens the most tokens to generate; {@link Integer#MAX_VALUE} (-n -1) gives {@code cap} */
    static int forRun(int promptTokens, int maxTokens, int cap) {
        long need = (long) promptTokens + maxTokens;
        return (int) Math.max(1, Math.min(cap, need));
    }
}
