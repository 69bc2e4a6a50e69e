package dev.vera4j.engine.batch;

/**
 * Tokens per second over a sliding window of about ten seconds, from a running total sampled once per step. A ring of
 * (time, total) marks about a second apart; thread-safe reads of the latest value.
 *
 * <pre>{@code
 * TokenRate rate = new TokenRate();
 * rate.mark(System.nanoTime(), generatedSoFar);
 * double tps = rate.perSecond(System.nanoTime());
 * }</pre>
 */
final class TokenRate {
    private static final long SECOND = 1_000_000_000L;
    private final long[] times = new long[11];
    private final long[] totals = new long[11];
    private int newest = -1;
    private int size;

    /** Records the running total at {@code now}; the newest mark moves until it is a second past the one before. */
    synchronized void mark(long now, long total) {
        if (size >= 2 && now - times[(newest - 1 + times.length) % times.length] < SECOND) {
            times[newest] = now;
            totals[newest] = total;
            return;
        }
        newest = (newest + 1) % times.length;
        times[newest] = now;
        totals[newest] = total;
        size = Math.min(size + 1, times.length);
    }

    /** Tokens per second between the oldest mark and the newest; 0 with fewer than two marks or when idle for ten seconds. */
    synchronized double perSecond(long now) {
        if (size < 2 || now - times[newest] > 10 * SECOND) return 0;
        int oldest = (newest - size + 1 + times.length) % times.length;
        long dt = times[newest] - times[oldest];
        return dt <= 0 ? 0 : (totals[newest] - totals[oldest]) * 1e9 / dt;
    }
}
