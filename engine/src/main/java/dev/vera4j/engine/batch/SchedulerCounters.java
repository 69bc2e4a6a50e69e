package dev.vera4j.engine.batch;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@link BatchScheduler}'s running totals: written by its thread (and {@code submit} for rejections), read by
 * {@link #snapshot} from any thread.
 *
 * <pre>{@code
 * counters.step(sequences, promptTokens, sampled, System.nanoTime());
 * SchedulerStats s = counters.snapshot(queued, active, parallel, System.nanoTime());
 * }</pre>
 */
final class SchedulerCounters {
    final AtomicLong completed = new AtomicLong(), cancelled = new AtomicLong(), timedOut = new AtomicLong(),
            failed = new AtomicLong(), rejected = new AtomicLong();
    /** Submission-to-end time of every finished request, summed: the basis of Retry-After estimates. */
    final AtomicLong busyNanos = new AtomicLong();
    private final AtomicLong steps = new AtomicLong(), promptTokens = new AtomicLong(), generatedTokens = new AtomicLong(),
            promptTokensReused = new AtomicLong();
    private final TokenRate rate = new TokenRate();
    private volatile int lastBatchSize;

    /** Records one step of {@code sequences} sequences that fed {@code prompt} prompt tokens and sampled {@code sampled}. */
    void step(int sequences, int prompt, int sampled, long now) {
        steps.incrementAndGet();
        promptTokens.addAndGet(prompt);
        rate.mark(now, generatedTokens.addAndGet(sampled));
        lastBatchSize = sequences;
    }

    /** Records {@code tokens} prompt tokens a request found in its slot's cache (not fed again). */
    void reused(int tokens) { promptTokensReused.addAndGet(tokens); }

    SchedulerStats snapshot(int queued, int active, int parallel, long now) {
        return new SchedulerStats(queued, active, parallel, lastBatchSize, steps.get(), promptTokens.get(),
                promptTokensReused.get(), generatedTokens.get(), completed.get(), cancelled.get(), timedOut.get(), failed.get(), rejected.get(),
                rate.perSecond(now));
    }
}
