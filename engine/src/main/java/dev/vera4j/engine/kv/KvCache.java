package dev.vera4j.engine.kv;

/**
 * One sequence's keys and values of every layer for the positions processed so far, so that a conversation continues
 * without recomputing earlier tokens: a handle to memory on a backend's device (heap arrays on the CPU, device memory
 * on a GPU), made by {@link dev.vera4j.engine.backend.Backend#newCache}. Position {@code p} of layer {@code l} holds
 * {@code kvDim} values of keys and of values. This class keeps the bookkeeping every backend shares: the cache is
 * filled in order, {@link #length()} positions are valid, {@link #truncate} forgets a tail; what is stored and how
 * attention reads it is the backend's business.
 *
 * <pre>{@code
 * KvCache cache = backend.newCache(KvType.F16, 2048);
 * cache.ensureRoom(promptLength);   // ContextOverflowException if it does not fit
 * ... backend.step(...) stores the batch's positions and advances the cache ...
 * cache.truncate(0);                // starts over
 * }</pre>
 */
public abstract class KvCache implements AutoCloseable {
    private final KvType type;
    protected final int layers;
    protected final int capacity;
    protected final int kvDim;
    private int length;

    /** @throws IllegalArgumentException if a size is not positive or one layer would not fit in an array */
    protected KvCache(KvType type, int layers, int capacity, int kvDim) {
        if (layers <= 0 || capacity <= 0 || kvDim <= 0) {
            throw new IllegalArgumentException("KV cache needs positive sizes, got layers=" + layers + " ctx=" + capacity + " kvDim=" + kvDim);
        }
        if ((long) capacity * kvDim > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("context " + capacity + " x " + kvDim + " is too large for one layer of the KV cache");
        }
        this.type = type;
        this.layers = layers;
        this.capacity = capacity;
        this.kvDim = kvDim;
    }

    /** Bytes a cache of this shape takes. */
    public static long bytesFor(KvType type, int layers, int capacity, int kvDim) {
        return 2L * layers * capacity * kvDim * (type == KvType.F32 ? 4 : 2);
    }

    public KvType type() { return type; }

    /** Positions the cache can hold. */
    public int capacity() { return capacity; }

    /** Positions filled so far: the position of the next token. */
    public int length() { return length; }

    public int kvDim() { return kvDim; }

    public int layers() { return layers; }

    /** @throws ContextOverflowException if {@code n} more positions do not fit */
    public void ensureRoom(int n) {
        if (n < 0 || n > capacity - length) throw new ContextOverflowException(length, n, capacity);
    }

    /** Marks {@code n} more positions as filled (after every layer stored them). */
    public void advance(int n) {
        ensureRoom(n);
        length += n;
    }

    /** Forgets every position from {@code newLength} on. */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a KV cache of " + length + " positions to " + newLength);
        }
        length = newLength;
    }

    /**
     * Releases the cache's memory on its device; a heap cache has none to release (the garbage collector frees it).
     * A backend also releases every cache it made when it closes.
     */
    @Override
    public void close() {}
}
