package dev.vera4j.tools;

/** A bad command line: unknown flag, missing or malformed value. Reported with the command's usage, exit code 2. */
public class UsageException extends RuntimeException {
    public UsageException(String message) { super(message); }
}
