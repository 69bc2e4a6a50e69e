package dev.vera4j.engine.api;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Runs one generation on a {@link Session} with streamed text, a time-to-first-token measurement and cancellation
 * between tokens: what {@link Chat} and {@link dev.vera4j.engine.Vera4j#generate} are built on.
 *
 * <pre>{@code
 * Reply r = Generations.run(session, ids, options, System.out::print, new Cancellation());
 * }</pre>
 */
public final class Generations {
    private Generations() {}

    /** Thrown from the listener to leave {@link Session#generate} early; the session stays consistent. */
    private static final class Cancelled extends RuntimeException {
        Cancelled() { super("cancelled", null, false, false); }
    }

    /**
     * Feeds {@code prompt} after what {@code session} holds and samples, passing printable text to {@code onText}.
     * When {@code cancel} is set, stops before the next token: the reply then holds what came so far.
     */
    public static Reply run(Session session, int[] prompt, GenerateOptions options, Consumer<String> onText, Cancellation cancel) {
        long start = System.nanoTime();
        long[] first = {-1};
        int[][] ids = {new int[16]};
        int[] count = {0};
        StringBuilder text = new StringBuilder();
        try {
            Generation g = session.generate(prompt, options, (id, piece) -> {
                if (id >= 0) {
                    if (cancel.isCancelled()) throw new Cancelled();
                    if (first[0] < 0) first[0] = System.nanoTime();
                    if (count[0] == ids[0].length) ids[0] = Arrays.copyOf(ids[0], 2 * count[0]);
                    ids[0][count[0]++] = id;
                }
                if (!piece.isEmpty()) {
                    text.append(piece);
                    onText.accept(piece);
                }
            });
            long ttft = first[0] < 0 ? -1 : first[0] - start;
            return new Reply(g.text(), g.tokens(), g.timings(), ttft, g.stopReason(), false, 0);
        } catch (Cancelled c) {
            long end = System.nanoTime();
            long firstAt = first[0] < 0 ? end : first[0];
            // the token being sampled when the flag was seen is not part of the reply (its text was never shown)
            Timings t = new Timings(prompt.length, firstAt - start, count[0], end - firstAt);
            return new Reply(text.toString(), Arrays.copyOf(ids[0], count[0]), t, first[0] < 0 ? -1 : first[0] - start, null, true, 0);
        }
    }
}
