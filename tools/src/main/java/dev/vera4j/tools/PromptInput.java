package dev.vera4j.tools;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where {@code vera4j generate} takes its prompt from: {@code -p TEXT}, {@code -f FILE}, or standard input
 * ({@code -p -}, or no {@code -p} when input is piped). One trailing newline of a file or stdin is dropped.
 *
 * <pre>{@code
 * String prompt = PromptInput.read(args, System.in);   // echo "Once upon a time" | vera4j generate -m M.gguf
 * }</pre>
 */
final class PromptInput {
    private PromptInput() {}

    static String read(Args a, InputStream in) {
        if (a.has("file")) {
            if (a.has("prompt")) throw new UsageException("give the prompt with -p or -f, not both");
            Path f = Path.of(a.get("file"));
            if (!Files.isRegularFile(f)) throw new UsageException("prompt file " + f + (Files.isDirectory(f) ? " is a directory" : " does not exist"));
            try {
                return chomp(Files.readString(f, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read prompt file " + f + ": " + e.getMessage(), e);
            }
        }
        String p = a.get("prompt");
        if (p != null && !p.equals("-")) return p;
        boolean terminal = in == System.in && System.console() != null && System.console().isTerminal();
        String text = terminal ? "" : chomp(readAll(in));
        if (text.isEmpty()) {
            throw new UsageException(p == null ? "missing -p PROMPT (or -f FILE, or pipe the prompt on stdin)" : "-p - read an empty prompt from stdin");
        }
        return text;
    }

    private static String readAll(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read stdin: " + e.getMessage(), e);
        }
    }

    private static String chomp(String s) {
        if (s.endsWith("\r\n")) return s.substring(0, s.length() - 2);
        if (s.endsWith("\n")) return s.substring(0, s.length() - 1);
        return s;
    }
}
