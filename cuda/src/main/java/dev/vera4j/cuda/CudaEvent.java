package dev.vera4j.cuda;

import java.lang.foreign.MemorySegment;

/**
 * A marker in a stream, for timing GPU work without host round trips.
 *
 * <pre>{@code
 * start.record(stream); ...kernels...; end.record(stream);
 * end.synchronize();
 * float ms = CudaEvent.elapsedMillis(start, end);
 * }</pre>
 */
public final class CudaEvent implements AutoCloseable {
    private final CudaDevice device;
    private final MemorySegment handle;
    private boolean closed;

    CudaEvent(CudaDevice device, MemorySegment handle) {
        this.device = device;
        this.handle = handle;
    }

    private MemorySegment handle() {
        if (closed) throw new IllegalStateException("event is closed");
        return handle;
    }

    /** Marks the point the stream has reached. */
    public void record(CudaStream stream) {
        device.driver().eventRecord(handle(), stream.handle());
    }

    /** Waits until the stream passes the recorded point. */
    public void synchronize() {
        device.bind();
        device.driver().eventSynchronize(handle());
    }

    /** Milliseconds of GPU time between two recorded events (about 0.5 µs resolution). */
    public static float elapsedMillis(CudaEvent start, CudaEvent end) {
        return start.device.driver().eventElapsedMillis(start.handle(), end.handle());
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        device.bind();
        device.driver().eventDestroy(handle);
    }
}
