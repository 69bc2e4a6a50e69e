package dev.vera4j.engine.batch;

import java.util.concurrent.CompletableFuture;

/**
 * A submitted request: cancel it from any thread, or wait for its result.
 *
 * <pre>{@code
 * BatchHandle h = scheduler.submit(request, listener);
 * h.cancel();                          // e.g. the client went away: its slot is free before the next step
 * BatchResult r = h.result().join();   // outcome CANCELLED, with the text so far
 * }</pre>
 */
public final class BatchHandle {
    private final long id;
    final BatchRequest request;
    final BatchListener listener;
    final long submittedNanos;
    final long deadlineNanos;
    private final CompletableFuture<BatchResult> result = new CompletableFuture<>();
    private final Runnable wake;
    private volatile boolean cancelled;

    BatchHandle(long id, BatchRequest request, BatchListener listener, long submittedNanos, long timeoutNanos, Runnable wake) {
        this.id = id;
        this.request = request;
        this.listener = listener;
        this.submittedNanos = submittedNanos;
        this.deadlineNanos = submittedNanos + timeoutNanos;
        this.wake = wake;
    }

    /** A number unique within its scheduler, in submission order. */
    public long id() { return id; }

    /** Stops the request before the scheduler's next step and frees its slot; safe from any thread, idempotent. */
    public void cancel() {
        if (cancelled || result.isDone()) return;
        cancelled = true;
        wake.run();
    }

    boolean cancelRequested() { return cancelled; }

    /** Completes when the request ends, however it ends (never exceptionally). */
    public CompletableFuture<BatchResult> result() { return result; }

    /** Delivers the result: to the listener first, then to {@link #result()}. */
    void finish(BatchResult r) {
        try {
            listener.onFinish(r);
        } finally {
            result.complete(r);
        }
    }
}
