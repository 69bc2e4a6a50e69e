package dev.vera4j.engine.batch;

import dev.vera4j.engine.api.EngineException;

/**
 * {@link BatchScheduler#submit} refused a request: the queue is full, or the scheduler is shutting down. Retry after
 * {@link #retryAfterSeconds()}.
 *
 * <pre>{@code
 * try { scheduler.submit(r, l); } catch (BatchRejectedException e) { respond(429, e.retryAfterSeconds()); }
 * }</pre>
 */
public final class BatchRejectedException extends EngineException {
    /** Why a request was refused. */
    public enum Reason { QUEUE_FULL, SHUTTING_DOWN }

    private final Reason reason;
    private final int retryAfterSeconds;

    public BatchRejectedException(Reason reason, String message, int retryAfterSeconds) {
        super(message);
        this.reason = reason;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public Reason reason() { return reason; }

    /** An estimate of when a slot may be free, at least 1. */
    public int retryAfterSeconds() { return retryAfterSeconds; }
}
