package dev.vera4j.vera.peft;

/**
 * A safetensors file (or PEFT adapter directory) that cannot be read: the message names the file and the problem.
 *
 * <pre>{@code
 * try (var st = Safetensors.open(path)) { ... }
 * catch (SafetensorsFormatException e) { System.err.println("error: " + e.getMessage()); }
 * }</pre>
 */
public class SafetensorsFormatException extends RuntimeException {
    public SafetensorsFormatException(String where, String problem) {
        super(where + ": " + problem);
    }

    public SafetensorsFormatException(String where, String problem, Throwable cause) {
        super(where + ": " + problem, cause);
    }
}
