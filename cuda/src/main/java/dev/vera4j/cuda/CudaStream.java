package dev.vera4j.cuda;

import java.lang.foreign.MemorySegment;

/**
 * A queue of GPU work: kernels and asynchronous copies on one stream run in order; {@link #synchronize} waits for
 * all of it.
 *
 * <pre>{@code
 * try (CudaStream s = gpu.newStream()) {
 *     buffer.uploadAsync(s, host, 0);
 *     s.synchronize();
 * }
 * }</pre>
 */
public final class CudaStream implements AutoCloseable {
    private final CudaDevice device;
    private final MemorySegment handle;
    private boolean closed;

    CudaStream(CudaDevice device, MemorySegment handle) {
        this.device = device;
        this.handle = handle;
    }

    MemorySegment handle() {
        if (closed) throw new IllegalStateException("stream is closed");
        return handle;
    }

    public CudaDevice device() { return device; }

    /** Waits until everything queued so far has run; a kernel's asynchronous error surfaces here. */
    public void synchronize() {
        device.bind();
        device.driver().streamSynchronize(handle());
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        device.bind();
        device.driver().streamDestroy(handle);
    }
}
