package dev.vera4j.engine.batch;

import dev.vera4j.engine.api.StopReason;

/**
 * How a request of the {@link BatchScheduler} ended: the text and ids, why it stopped, and when things happened.
 *
 * <pre>{@code
 * BatchResult r = scheduler.submit(request, BatchListener.NONE).result().join();
 * if (r.outcome() == BatchResult.Outcome.COMPLETED) System.out.println(r.text() + " (" + r.stopReason() + ")");
 * }</pre>
 *
 * @param text                  the generated text (without a stop string that ended it); what came so far if it did
 *                              not complete
 * @param tokens                the sampled ids
 * @param promptTokens          the prompt's length
 * @param cachedPromptTokens    how many of them the slot's cache held from an earlier request (not read again)
 * @param stopReason            why generation ended, {@code null} unless {@link Outcome#COMPLETED}
 * @param stopString            the stop string that ended it, or {@code null}
 * @param queuedNanos           from submission to getting a slot
 * @param timeToFirstTokenNanos from submission to the first sampled token; -1 when none was sampled
 * @param totalNanos            from submission to the end
 * @param error                 what went wrong, for {@link Outcome#FAILED}; otherwise {@code null}
 */
public record BatchResult(Outcome outcome, String text, int[] tokens, int promptTokens, int cachedPromptTokens, StopReason stopReason, String stopString,
                          long queuedNanos, long timeToFirstTokenNanos, long totalNanos, String error) {
    /** How a request ended. */
    public enum Outcome {
        /** Generation ended by itself ({@link #stopReason()} says why). */
        COMPLETED,
        /** {@link BatchHandle#cancel()} or the scheduler's shutdown stopped it. */
        CANCELLED,
        /** It ran past its timeout. */
        TIMED_OUT,
        /** The model step or the adapter failed ({@link #error()}). */
        FAILED
    }

    public BatchResult {
        tokens = tokens.clone();
    }

    @Override
    public int[] tokens() { return tokens.clone(); }

    /** A request that ended before it got a slot (or as it got one): no tokens, all its time spent waiting. */
    static BatchResult unstarted(Outcome outcome, BatchHandle h, long now, String error) {
        long waited = now - h.submittedNanos;
        return new BatchResult(outcome, "", new int[0], h.request.promptIds().length, 0, null, null, waited, -1, waited, error);
    }

    /** Tokens sampled. */
    public int generatedTokens() { return tokens.length; }
}
