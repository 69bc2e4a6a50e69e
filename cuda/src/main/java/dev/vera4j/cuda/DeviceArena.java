package dev.vera4j.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * Owns the device buffers of one thing (a model's weights, a KV cache, a forward pass's scratch) and frees them all on
 * {@link #close}, as an {@link java.lang.foreign.Arena} does for native memory. Not thread-safe.
 *
 * <pre>{@code
 * try (DeviceArena arena = new DeviceArena(gpu)) {
 *     DeviceBuffer x = arena.allocate(4L * dim), y = arena.allocate(4L * rows);
 *     ...
 * }   // both freed
 * }</pre>
 */
public final class DeviceArena implements AutoCloseable {
    private final CudaDevice device;
    private final List<DeviceBuffer> buffers = new ArrayList<>();
    private long bytes;

    public DeviceArena(CudaDevice device) { this.device = device; }

    public CudaDevice device() { return device; }

    /** A buffer freed with the arena. */
    public DeviceBuffer allocate(long byteSize) {
        DeviceBuffer b = device.allocate(byteSize);
        buffers.add(b);
        bytes += byteSize;
        return b;
    }

    /** A buffer holding {@code values}. */
    public DeviceBuffer upload(float[] values) {
        DeviceBuffer b = allocate(4L * Math.max(1, values.length));
        if (values.length > 0) b.upload(values, 0);
        return b;
    }

    /** Frees one buffer of this arena before the others. */
    public void release(DeviceBuffer b) {
        if (!buffers.remove(b)) throw new IllegalArgumentException("the buffer is not this arena's");
        bytes -= b.byteSize();
        b.close();
    }

    /** Bytes allocated through this arena. */
    public long bytes() { return bytes; }

    @Override
    public void close() {
        RuntimeException first = null;
        for (int i = buffers.size() - 1; i >= 0; i--) {
            try {
                buffers.get(i).close();
            } catch (RuntimeException e) {
                if (first == null) first = e;
            }
        }
        buffers.clear();
        bytes = 0;
        if (first != null) throw first;
    }
}
