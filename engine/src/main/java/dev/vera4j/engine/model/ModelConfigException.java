package dev.vera4j.engine.model;

import dev.vera4j.engine.api.EngineException;

/** A model's metadata or tensors are missing, inconsistent or of an unsupported kind; the message names the key or tensor. */
public final class ModelConfigException extends EngineException {
    public ModelConfigException(String message) { super(message); }
}
