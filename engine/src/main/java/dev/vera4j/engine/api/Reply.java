package dev.vera4j.engine.api;

/**
 * The outcome of one {@link Chat#send} (or {@link dev.vera4j.engine.Vera4j#generate}): the text, how long it took, and
 * why it stopped.
 *
 * <pre>{@code
 * Reply r = chat.send("Hi", System.out::print);
 * System.out.printf("%d tokens, %.1f tok/s%n", r.timings().generatedTokens(), r.timings().generationTokensPerSecond());
 * }</pre>
 *
 * @param text                  the generated text (without a stop string that ended it)
 * @param tokens                the sampled token ids
 * @param timings               prompt tokens actually processed (after reusing the cache) and generation timings
 * @param timeToFirstTokenNanos from the call to the first sampled token; -1 when none was sampled
 * @param stopReason            why it ended; {@code null} when it was cancelled
 * @param cancelled             whether a {@link Cancellation} stopped it
 * @param droppedMessages       how many of the oldest messages were removed so that the conversation fits the context
 */
public record Reply(String text, int[] tokens, Timings timings, long timeToFirstTokenNanos, StopReason stopReason,
                    boolean cancelled, int droppedMessages) {
    public Reply {
        tokens = tokens.clone();
    }

    @Override
    public int[] tokens() { return tokens.clone(); }

    @Override
    public boolean equals(Object o) {
        return o instanceof Reply r && text.equals(r.text) && java.util.Arrays.equals(tokens, r.tokens) && timings.equals(r.timings)
                && timeToFirstTokenNanos == r.timeToFirstTokenNanos && stopReason == r.stopReason && cancelled == r.cancelled
                && droppedMessages == r.droppedMessages;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(text, java.util.Arrays.hashCode(tokens), timings, timeToFirstTokenNanos, stopReason, cancelled, droppedMessages);
    }

    @Override
    public String toString() {
        return "Reply[text=" + text + ", tokens=" + tokens.length + ", " + timings + ", ttft=" + timeToFirstTokenNanos / 1e6
                + " ms, stopReason=" + stopReason + ", cancelled=" + cancelled + ", droppedMessages=" + droppedMessages + "]";
    }
}
