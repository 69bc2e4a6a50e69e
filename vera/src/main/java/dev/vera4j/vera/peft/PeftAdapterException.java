package dev.vera4j.vera.peft;

/**
 * A PEFT adapter (directory, config or tensors) that is not a VeRA adapter this engine can use; the message names
 * where and what.
 *
 * <pre>{@code
 * try { PeftImporter.read(dir); } catch (PeftAdapterException e) { System.err.println("error: " + e.getMessage()); }
 * }</pre>
 */
public class PeftAdapterException extends RuntimeException {
    public PeftAdapterException(String where, String problem) {
        super(where + ": " + problem);
    }

    public PeftAdapterException(String where, String problem, Throwable cause) {
        super(where + ": " + problem, cause);
    }
}
