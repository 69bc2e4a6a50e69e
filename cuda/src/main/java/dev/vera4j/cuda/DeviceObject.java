package dev.vera4j.cuda;

import java.lang.foreign.MemorySegment;

/**
 * A driver object that belongs to one device (a stream, an event, a module): its handle, valid until {@link #close}
 * destroys it in the driver.
 */
abstract sealed class DeviceObject implements AutoCloseable permits CudaStream, CudaEvent, CudaModule {
    final CudaDevice device;
    private final MemorySegment handle;
    private boolean closed;

    DeviceObject(CudaDevice device, MemorySegment handle) {
        this.device = device;
        this.handle = handle;
    }

    /** The driver's handle. */
    MemorySegment handle() {
        if (closed) throw new IllegalStateException(getClass().getSimpleName() + " is closed");
        return handle;
    }

    /** The driver call that destroys the object. */
    abstract void destroy(CudaDriver cu, MemorySegment handle);

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        device.bind();
        destroy(device.driver(), handle);
    }
}
