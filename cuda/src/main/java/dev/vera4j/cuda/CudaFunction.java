package dev.vera4j.cuda;

import java.lang.foreign.MemorySegment;

/**
 * A kernel of a loaded {@link CudaModule}, launched through {@link KernelArgs#launch}; valid while its module is open.
 *
 * @param name   its {@code extern "C"} name, for error messages
 * @param handle the driver's {@code CUfunction}
 */
public record CudaFunction(String name, MemorySegment handle) {}
