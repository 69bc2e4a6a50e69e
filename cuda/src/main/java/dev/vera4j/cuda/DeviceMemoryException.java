package dev.vera4j.cuda;

import dev.vera4j.engine.api.EngineException;

/**
 * The GPU has not enough free memory for what was asked: the message gives the bytes needed and the bytes free.
 *
 * <pre>{@code
 * // out of device memory on cuda:0 (NVIDIA H200): model weights need 15.0 GiB, 3.2 GiB of 139.8 GiB are free
 * }</pre>
 */
public final class DeviceMemoryException extends EngineException {
    private final long needed;
    private final long free;

    public DeviceMemoryException(String device, String what, long needed, long free, long total) {
        super("out of device memory on " + device + ": " + what + " need " + Bytes.format(needed) + ", "
                + Bytes.format(free) + " of " + Bytes.format(total) + " are free");
        this.needed = needed;
        this.free = free;
    }

    public long needed() { return needed; }

    public long free() { return free; }
}
