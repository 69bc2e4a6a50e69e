package dev.vera4j.engine.api;

/**
 * A flag that stops a running generation: set it from any thread (a Ctrl-C handler, a UI button) and the generation
 * ends before its next token, keeping what was produced so far. Reusable after {@link #clear()}.
 *
 * <pre>{@code
 * Cancellation stop = new Cancellation();
 * executor.submit(() -> model.generate("Once upon a time", options, text -> {}, stop));
 * stop.cancel();
 * }</pre>
 */
public final class Cancellation {
    private volatile boolean cancelled;

    /** Asks the generation to stop; safe from any thread. */
    public void cancel() { cancelled = true; }

    public boolean isCancelled() { return cancelled; }

    /** Re-arms the flag for the next generation. */
    public void clear() { cancelled = false; }
}
