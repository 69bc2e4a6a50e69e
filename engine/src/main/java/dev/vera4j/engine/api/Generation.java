package dev.vera4j.engine.api;

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
public record Generation(String text, int[] promptTokens, int[] tokens, Timings timings, StopReason stopReason, String stopString) {}
