package dev.vera4j.tools;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Copies a child JVM's standard error, dropping the line {@code WARNING: Using incubator modules: jdk.incubator.vector}
 * that every JVM with the Vector API module prints at start. Bytes pass through as they arrive (progress lines redrawn
 * with {@code \r} stay live): only the start of a line that could still be the warning is held back, and written as
 * soon as it differs. Compiled for Java 17 with {@link Main}.
 *
 * <pre>{@code
 * IncubatorWarningFilter.copy(process.getErrorStream(), System.err);   // returns at the end of the stream
 * }</pre>
 */
final class IncubatorWarningFilter {
    static final byte[] WARNING = "WARNING: Using incubator modules: jdk.incubator.vector\n".getBytes(StandardCharsets.US_ASCII);

    private IncubatorWarningFilter() {}

    /** Copies {@code in} to {@code out} without the warning line, until the end of {@code in}. */
    static void copy(InputStream in, OutputStream out) {
        byte[] buf = new byte[8192];
        int matched = 0;              // bytes of WARNING held back at the start of the current line
        boolean lineStart = true;     // whether the next byte starts a line (or continues a held-back prefix)
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                int from = 0;         // start of the bytes of buf not written yet
                for (int i = 0; i < n; i++) {
                    byte b = buf[i];
                    if (lineStart || matched > 0) {
                        if (b == WARNING[matched]) {
                            if (matched == 0) {
                                out.write(buf, from, i - from);
                            }
                            matched++;
                            from = i + 1;
                            lineStart = false;
                            if (matched == WARNING.length) {   // the whole line: drop it
                                matched = 0;
                                lineStart = true;
                            }
                            continue;
                        }
                        if (matched > 0) {                     // not the warning after all: release what was held
                            out.write(buf, from, i - from);
                            out.write(WARNING, 0, matched);
                            from = i;
                            matched = 0;
                        }
                    }
                    lineStart = b == '\n';
                }
                if (matched == 0) out.write(buf, from, n - from);
                out.flush();
            }
            if (matched > 0) out.write(WARNING, 0, matched);
            out.flush();
        } catch (IOException e) {
            // the child is gone or our stderr is closed: nothing left to copy
        }
    }
}
