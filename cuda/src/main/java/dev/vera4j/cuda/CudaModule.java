package dev.vera4j.cuda;

import java.lang.foreign.MemorySegment;

/**
 * Loaded GPU code ({@code cuModuleLoadData}): its kernels are found by name. Unloaded by {@link #close}.
 *
 * <pre>{@code
 * try (CudaModule m = gpu.loadModule(image)) {
 *     CudaFunction add = m.function("add");
 * }
 * }</pre>
 */
public final class CudaModule implements AutoCloseable {
    private final CudaDevice device;
    private final MemorySegment handle;
    private boolean closed;

    CudaModule(CudaDevice device, MemorySegment handle) {
        this.device = device;
        this.handle = handle;
    }

    /** The kernel named {@code name} ({@code extern "C"} in the source). */
    public CudaFunction function(String name) {
        if (closed) throw new IllegalStateException("module is closed");
        device.bind();
        return new CudaFunction(name, device.driver().moduleGetFunction(handle, name));
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        device.bind();
        device.driver().moduleUnload(handle);
    }
}
