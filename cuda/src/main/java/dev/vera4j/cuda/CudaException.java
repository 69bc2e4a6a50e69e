package dev.vera4j.cuda;

import dev.vera4j.engine.api.EngineException;

/**
 * A CUDA driver call that returned an error: the call, the {@code CUresult} and its name from {@code cuGetErrorName}.
 *
 * <pre>{@code
 * try { buffer.copyFrom(host, 0, 0, bytes); }
 * catch (CudaException e) { log(e.call() + " -> " + e.errorName()); }   // cuMemcpyHtoD_v2 -> CUDA_ERROR_INVALID_VALUE
 * }</pre>
 */
public class CudaException extends EngineException {
    private final String call;
    private final int code;
    private final String errorName;

    public CudaException(String call, int code, String errorName) {
        this(call, code, errorName, "CUDA call " + call + " failed: " + errorName + " (" + code + ")");
    }

    /** With a message of its own (a subclass that explains the cause better). */
    protected CudaException(String call, int code, String errorName, String message) {
        super(message);
        this.call = call;
        this.code = code;
        this.errorName = errorName;
    }

    /** The driver function, e.g. {@code cuMemAlloc_v2}. */
    public String call() { return call; }

    /** The {@code CUresult}. */
    public int code() { return code; }

    /** The result's name, e.g. {@code CUDA_ERROR_OUT_OF_MEMORY}. */
    public String errorName() { return errorName; }
}
