package dev.vera4j.engine.json;

/**
 * A JSON document could not be parsed, or a value could not be written as JSON.
 * Parse errors name the 1-based line and column where the problem was found, e.g.
 * {@code "JSON error at line 3, column 7: expected ':' after object key"}.
 */
public final class JsonException extends RuntimeException {
    private final int line;
    private final int column;

    /** A parse error at a position (1-based line and column). */
    public JsonException(String message, int line, int column) {
        super("JSON error at line " + line + ", column " + column + ": " + message);
        this.line = line;
        this.column = column;
    }

    /** A write error (no position). */
    public JsonException(String message) {
        super(message);
        this.line = 0;
        this.column = 0;
    }

    /** 1-based line of a parse error, 0 for write errors. */
    public int line() { return line; }

    /** 1-based column (in UTF-16 chars) of a parse error, 0 for write errors. */
    public int column() { return column; }
}
