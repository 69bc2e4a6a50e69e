package dev.vera4j.cuda;

import dev.vera4j.engine.kv.KvCache;
import dev.vera4j.engine.kv.KvType;

/**
 * The {@link CudaBackend}'s {@link KvCache}: the engine's bookkeeping (length, room, truncation) over a
 * {@link DeviceKvCache} that holds the keys and values in device memory as F16. The two lengths move together: a step
 * stores positions on the device and then advances this cache; {@link #truncate} forgets a tail on both. Freed by
 * {@link #close}, or with its backend.
 *
 * <pre>{@code
 * KvCache cache = backend.newCache(KvType.F16, 2048);   // CudaKvCache of 2048 positions on the GPU
 * backend.step(activations, Batch.of(new Sequence(cache), ids, 0, ids.length, false), logits);
 * cache.truncate(0);                                     // starts over; the device memory stays allocated
 * cache.close();                                         // frees it
 * }</pre>
 */
public final class CudaKvCache extends KvCache {
    private final CudaBackend backend;
    private final DeviceKvCache device;
    private boolean closed;

    CudaKvCache(CudaBackend backend, DeviceKvCache device) {
        super(KvType.F16, device.layers(), device.capacity(), device.kvDim());
        this.backend = backend;
        this.device = device;
    }

    CudaBackend backend() { return backend; }

    /** The device memory the passes read and write; only while open. */
    DeviceKvCache device() {
        if (closed) throw new IllegalStateException("the KV cache is closed");
        return device;
    }

    boolean isClosed() { return closed; }

    /** The device cache at this cache's length: a pass that failed midway may have stored (and counted) more there. */
    DeviceKvCache synced() {
        DeviceKvCache d = device();
        if (d.length() > length()) d.truncate(length());
        return d;
    }

    /** After a pass stored {@code n} positions on the device (and advanced the device cache): advances this one. */
    void stored(int n) { super.advance(n); }

    /** Marks {@code n} more positions as filled, here and on the device. */
    @Override
    public void advance(int n) {
        DeviceKvCache d = device();
        super.advance(n);
        d.advance(n);
    }

    @Override
    public void truncate(int newLength) {
        DeviceKvCache d = device();
        super.truncate(newLength);
        d.truncate(newLength);
    }

    /** Device bytes held: keys and values of every layer and position. */
    public long deviceBytes() { return device.bytes(); }

    /** Frees the device memory; the cache cannot be used afterwards. */
    @Override
    public void close() {
        synchronized (backend) {
            if (closed) return;
            closed = true;
            backend.forget(this);
            device.close();
        }
    }
}
