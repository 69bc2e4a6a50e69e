package dev.vera4j.cuda;

import dev.vera4j.engine.kv.ContextOverflowException;

/**
 * Keys and values of every layer in device memory, as IEEE halves (the CPU's F16 {@code KvCache}): position {@code p}
 * of layer {@code l} holds {@code kvDim} halves of keys at {@link #keys}{@code (l) + 2·p·kvDim}, and of values
 * likewise. Filled in order: {@link #length()} positions are valid; {@link #truncate} forgets a tail (a new prompt
 * overwrites it). Freed by {@link #close}.
 *
 * <pre>{@code
 * try (DeviceKvCache cache = DeviceKvCache.allocate(gpu, config.blockCount(), 2048, config.kvDim())) {
 *     forward.forward(prompt, 0, prompt.length, cache, logits, false);   // positions 0 .. prompt.length
 * }
 * }</pre>
 */
public final class DeviceKvCache implements AutoCloseable {
    private final DeviceArena arena;
    private final DeviceBuffer keys, values;
    private final int layers, capacity, kvDim;
    private int length;

    private DeviceKvCache(DeviceArena arena, DeviceBuffer keys, DeviceBuffer values, int layers, int capacity, int kvDim) {
        this.arena = arena;
        this.keys = keys;
        this.values = values;
        this.layers = layers;
        this.capacity = capacity;
        this.kvDim = kvDim;
    }

    /**
     * A cache of {@code capacity} positions.
     *
     * @throws DeviceMemoryException if the device has not {@link #bytesFor} free
     */
    public static DeviceKvCache allocate(CudaDevice device, int layers, int capacity, int kvDim) {
        if (layers <= 0 || capacity <= 0 || kvDim <= 0) {
            throw new IllegalArgumentException("KV cache needs positive sizes, got layers=" + layers + " ctx=" + capacity + " kvDim=" + kvDim);
        }
        device.requireFree(bytesFor(layers, capacity, kvDim), "a KV cache of " + capacity + " positions");
        DeviceArena arena = new DeviceArena(device);
        try {
            long half = bytesFor(layers, capacity, kvDim) / 2;
            return new DeviceKvCache(arena, arena.allocate(half), arena.allocate(half), layers, capacity, kvDim);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Device bytes of a cache of this shape (keys and values). */
    public static long bytesFor(int layers, int capacity, int kvDim) {
        return 2L * 2 * layers * capacity * kvDim;
    }

    /** The device address of layer {@code layer}'s keys at position 0. */
    public long keys(int layer) { return keys.at(layerOffset(layer)); }

    /** The device address of layer {@code layer}'s values at position 0. */
    public long values(int layer) { return values.at(layerOffset(layer)); }

    private long layerOffset(int layer) {
        if (layer < 0 || layer >= layers) throw new IndexOutOfBoundsException("layer " + layer + " of " + layers);
        return 2L * layer * capacity * kvDim;
    }

    public int layers() { return layers; }

    public int capacity() { return capacity; }

    public int kvDim() { return kvDim; }

    /** Positions filled so far. */
    public int length() { return length; }

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

    /** Device bytes held. */
    public long bytes() { return arena.bytes(); }

    @Override
    public void close() { arena.close(); }
}
