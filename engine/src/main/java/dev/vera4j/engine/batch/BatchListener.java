package dev.vera4j.engine.batch;

/**
 * Receives a request's tokens as they are generated and its result at the end. Both run on the scheduler's thread,
 * between steps: they must return quickly and never block (hand the events to another thread for slow output such as
 * a network connection), or every sequence waits.
 *
 * <pre>{@code
 * BlockingQueue<TokenEvent> events = new LinkedBlockingQueue<>();
 * BatchListener l = new BatchListener() {
 *     public void onToken(TokenEvent e) { events.add(e); }
 *     public void onFinish(BatchResult r) { done.complete(r); }
 * };
 * }</pre>
 */
public interface BatchListener {
    /** Ignores everything (use the handle's result). */
    BatchListener NONE = new BatchListener() { };

    default void onToken(TokenEvent event) { }

    /** Called once, after the last token. */
    default void onFinish(BatchResult result) { }
}
