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
public final class CudaEvent extends DeviceObject {
    CudaEvent(CudaDevice device, MemorySegment handle) { super(device, handle); }

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
    void destroy(CudaDriver cu, MemorySegment handle) { cu.eventDestroy(handle); }
}
