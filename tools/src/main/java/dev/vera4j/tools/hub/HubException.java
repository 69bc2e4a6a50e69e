package dev.vera4j.tools.hub;

/** A hub request or download that failed, with a one-line message for the user. */
public final class HubException extends RuntimeException {
    public HubException(String message) { super(message); }

    public HubException(String message, Throwable cause) { super(message, cause); }
}
