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
public final class CudaModule extends DeviceObject {
    CudaModule(CudaDevice device, MemorySegment handle) { super(device, handle); }

    /** The kernel named {@code name} ({@code extern "C"} in the source). */
    public CudaFunction function(String name) {
        MemorySegment h = handle();
        device.bind();
        return new CudaFunction(name, device.driver().moduleGetFunction(h, name));
    }

    @Override
    void destroy(CudaDriver cu, MemorySegment handle) { cu.moduleUnload(handle); }
}
