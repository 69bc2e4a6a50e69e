package dev.vera4j.engine.backend;

/**
 * A backend's scratch memory for steps of up to {@link #maxTokens()} tokens over caches of up to
 * {@link #maxContext()} positions: the residual stream, projections, attention scores and whatever else its kernels
 * need between layers, on its device. Made by {@link Backend#newActivations}, allocated once, reused by every step;
 * one step at a time. Only the backend that made it can use it.
 */
public interface Activations extends AutoCloseable {
    /** Tokens one step may carry, over all its sequences. */
    int maxTokens();

    /** Positions a sequence's cache may hold. */
    int maxContext();

    /**
     * Releases the memory on its device (heap scratch on the CPU is left to the garbage collector). A backend also
     * releases every activation buffer it made when it closes.
     */
    @Override
    default void close() {}
}
