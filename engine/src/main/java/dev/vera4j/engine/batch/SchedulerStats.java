package dev.vera4j.engine.batch;

/**
 * A snapshot of a {@link BatchScheduler}'s counters (totals since it started) and gauges, for metrics.
 *
 * <pre>{@code
 * SchedulerStats s = scheduler.stats();
 * System.out.println(s.active() + "/" + s.parallel() + " busy, " + s.queued() + " waiting, " + s.tokensPerSecond() + " tok/s");
 * }</pre>
 *
 * @param queued             requests waiting for a slot
 * @param active             sequences holding a slot
 * @param lastBatchSize      sequences in the latest step
 * @param steps              steps run
 * @param promptTokens       prompt tokens fed
 * @param promptTokensReused prompt tokens that requests found in their slot's cache from an earlier request (a shared
 *                           prefix with the same adapter) and did not feed again
 * @param generatedTokens    tokens sampled
 * @param tokensPerSecond    tokens sampled per second over the last ten seconds or so
 */
public record SchedulerStats(int queued, int active, int parallel, int lastBatchSize, long steps, long promptTokens,
                             long promptTokensReused, long generatedTokens, long completed, long cancelled, long timedOut, long failed, long rejected,
                             double tokensPerSecond) {
}
