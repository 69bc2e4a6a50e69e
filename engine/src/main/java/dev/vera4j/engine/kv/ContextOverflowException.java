package dev.vera4j.engine.kv;

import dev.vera4j.engine.api.EngineException;

/** Tokens do not fit in what is left of a {@link KvCache}'s context. */
public final class ContextOverflowException extends EngineException {
    private final int used;
    private final int requested;
    private final int capacity;

    public ContextOverflowException(int used, int requested, int capacity) {
        super(requested + " more tokens do not fit in the context: " + used + " of " + capacity
                + " positions are in use (raise --ctx or shorten the prompt)");
        this.used = used;
        this.requested = requested;
        this.capacity = capacity;
    }

    public int used() { return used; }

    public int requested() { return requested; }

    public int capacity() { return capacity; }
}
