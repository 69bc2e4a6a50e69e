package dev.vera4j.cuda;

import dev.vera4j.engine.api.EngineException;

/**
 * No GPU can run vera4j here: no NVIDIA driver ({@code libcuda.so.1} not found), no CUDA device, a device index out
 * of range, or a driver or GPU too old for the kernels. The message is one line that says which, for the CLI's
 * {@code error: ...}.
 *
 * <pre>{@code
 * try (CudaDevice gpu = CudaDevice.open(0)) { ... }
 * catch (CudaUnavailableException e) { System.err.println("error: " + e.getMessage()); }
 * }</pre>
 */
public final class CudaUnavailableException extends EngineException {
    public CudaUnavailableException(String message) { super(message); }

    public CudaUnavailableException(String message, Throwable cause) { super(message, cause); }
}
