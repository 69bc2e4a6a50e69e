package dev.vera4j.engine.backend;

import dev.vera4j.engine.api.EngineException;

/**
 * A device cannot be used: no backend for its kind in this build, no driver, no such device, too little device
 * memory, ... The message is one line for the user.
 */
public final class DeviceException extends EngineException {
    public DeviceException(String message) { super(message); }

    public DeviceException(String message, Throwable cause) { super(message, cause); }
}
