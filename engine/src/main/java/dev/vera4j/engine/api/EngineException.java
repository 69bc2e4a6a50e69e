package dev.vera4j.engine.api;

/**
 * Base type of the engine's runtime errors; each subclass names one cause (bad model configuration, context full,
 * ...). The message is one line meant for a user: the CLI prints it as {@code error: <message>}.
 */
public class EngineException extends RuntimeException {
    public EngineException(String message) { super(message); }

    public EngineException(String message, Throwable cause) { super(message, cause); }
}
