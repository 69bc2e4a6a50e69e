package dev.vera4j.engine.api;

import java.util.Arrays;
import java.util.Objects;

/**
 * The result of {@link Session#generate}: the generated text (without a stop string that ended it), the prompt and
 * generated token ids, timings and why it stopped.
 *
 * <pre>{@code
 * Generation g = session.generate("Once upon a time", options, GenerationListener.NONE);
 * System.out.println(g.text() + " (" + g.stopReason() + ", " + g.timings().generationTokensPerSecond() + " tok/s)");
 * }</pre>
 *
 * @param promptTokens the ids fed before sampling (including a token left over from the previous generation)
 * @param tokens       the sampled ids, including an end-of-generation or stop token that ended it
 * @param stopString   the stop string that ended it, or {@code null}
 */
public record Generation(String text, int[] promptTokens, int[] tokens, Timings timings, StopReason stopReason, String stopString) {
    @Override
    public boolean equals(Object o) {
        return o instanceof Generation g && text.equals(g.text) && Arrays.equals(promptTokens, g.promptTokens)
                && Arrays.equals(tokens, g.tokens) && timings.equals(g.timings) && stopReason == g.stopReason
                && Objects.equals(stopString, g.stopString);
    }

    @Override
    public int hashCode() { return Objects.hash(text, Arrays.hashCode(promptTokens), Arrays.hashCode(tokens), timings, stopReason, stopString); }

    @Override
    public String toString() {
        return "Generation[text=" + text + ", promptTokens=" + Arrays.toString(promptTokens) + ", tokens=" + Arrays.toString(tokens)
                + ", " + timings + ", stopReason=" + stopReason + (stopString == null ? "" : ", stopString=" + stopString) + "]";
    }
}
