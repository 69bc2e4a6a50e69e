package dev.vera4j.cuda;

import java.lang.foreign.MemorySegment;

/**
 * A queue of GPU work: kernels and asynchronous copies on one stream run in order; {@link #synchronize} waits for
 * all of it.
 *
 * <pre>{@code
 * try (CudaStream s = gpu.newStream()) {
 *     buffer.uploadAsync(s, host, 0, bytes);
 *     s.synchronize();
 * }
 * }</pre>
 */
public final class CudaStream extends DeviceObject {
    CudaStream(CudaDevice device, MemorySegment handle) { super(device, handle); }

    public CudaDevice device() { return device; }

    /** Waits until everything queued so far has run; a kernel's asynchronous error surfaces here. */
    public void synchronize() {
        device.bind();
        device.driver().streamSynchronize(handle());
    }

    @Override
    void destroy(CudaDriver cu, MemorySegment handle) { cu.streamDestroy(handle); }
}
