package dev.vera4j.server;

import java.io.PrintStream;

/**
 * The server's lines about adapters on stderr: one per refused adapter, and one per scan that changed something.
 *
 * <pre>{@code
 * Reports.scan(directory.rescan(), System.err);   // adapter other-base.gguf refused: ... made for a different base model ...
 * }</pre>
 */
final class Reports {
    private Reports() {}

    static void scan(AdapterDirectory.Scan s, PrintStream log) {
        s.refused().forEach((name, why) -> log.println("adapter " + name + " refused: " + why));
        if (!s.added().isEmpty() || !s.removed().isEmpty()) {
            log.println("adapters: " + s.added().size() + " added" + (s.added().isEmpty() || s.added().size() > 10 ? "" : " " + s.added())
                    + ", " + s.removed().size() + " removed" + (s.removed().isEmpty() || s.removed().size() > 10 ? "" : " " + s.removed()));
        }
        log.flush();
    }
}
