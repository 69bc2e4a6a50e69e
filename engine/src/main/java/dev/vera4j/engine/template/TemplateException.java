package dev.vera4j.engine.template;

/**
 * A chat template could not be parsed or rendered. The message names the template line, e.g.
 * {@code "template line 12: unknown tag 'include'"}.
 */
public class TemplateException extends RuntimeException {
    private final int line;

    public TemplateException(int line, String message) {
        super(line > 0 ? "template line " + line + ": " + message : message);
        this.line = line;
    }

    /** 1-based template line, or 0 when unknown. */
    public int line() { return line; }
}
