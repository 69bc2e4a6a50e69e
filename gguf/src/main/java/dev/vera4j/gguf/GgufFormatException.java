package dev.vera4j.gguf;

import java.nio.file.Path;

/**
 * A GGUF file that cannot be read: names the file, the byte offset where the problem was found and what is wrong.
 *
 * <pre>{@code
 * try (var f = GgufFile.open(path)) { ... }
 * catch (GgufFormatException e) { System.err.println("error: " + e.getMessage()); }
 * }</pre>
 */
public class GgufFormatException extends RuntimeException {
    private final transient Path file;
    private final long offset;

    public GgufFormatException(Path file, long offset, String problem) {
        super(describe(file, offset, problem));
        this.file = file;
        this.offset = offset;
    }

    public GgufFormatException(Path file, long offset, String problem, Throwable cause) {
        super(describe(file, offset, problem), cause);
        this.file = file;
        this.offset = offset;
    }

    private static String describe(Path file, long offset, String problem) {
        String where = file == null ? "<memory>" : file.toString();
        return offset >= 0 ? where + " at byte " + offset + ": " + problem : where + ": " + problem;
    }

    /** The file that failed, or {@code null} for in-memory data. */
    public Path file() { return file; }

    /** Byte offset of the problem within the file, or -1 when it concerns the file as a whole. */
    public long offset() { return offset; }
}
