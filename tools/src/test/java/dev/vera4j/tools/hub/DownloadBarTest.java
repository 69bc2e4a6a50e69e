package dev.vera4j.tools.hub;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/** What the download progress shows: bytes, percent, rate and ETA redrawn on a terminal; a start and an end line in a log. */
class DownloadBarTest {
    private static final long MIB = 1 << 20;

    @Test
    void aTerminalGetsOneLineRedrawnWithBytesRateAndEta() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        DownloadBar bar = DownloadBar.on(new PrintStream(buf, true, StandardCharsets.UTF_8), true);
        bar.start("model-Q4_0.gguf", 8 * MIB, 2 * MIB);
        bar.advance(2 * MIB);
        assertTrue(bar.line().matches("model-Q4_0\\.gguf  50% 4\\.0/8\\.0 MiB  \\d+\\.\\d MiB/s  ETA \\d+:\\d\\d"), bar.line());
        bar.advance(4 * MIB);
        assertTrue(bar.line().matches("model-Q4_0\\.gguf 100% 8\\.0/8\\.0 MiB  \\d+\\.\\d MiB/s"), "no ETA when done: " + bar.line());
        bar.finish(true);
        String shown = buf.toString(StandardCharsets.UTF_8);
        assertTrue(shown.startsWith("\r\033[Kmodel-Q4_0.gguf  25% 2.0/8.0 MiB"), shown);
        assertTrue(shown.endsWith("\n") && shown.contains("\r\033[Kmodel-Q4_0.gguf 100% 8.0/8.0 MiB"), shown);
    }

    @Test
    void aLogGetsAStartAndAnEndLine() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        DownloadBar bar = DownloadBar.on(new PrintStream(buf, true, StandardCharsets.UTF_8), false);
        bar.start("a.gguf", 3 * MIB, MIB);
        bar.advance(2 * MIB);
        bar.finish(true);
        String[] lines = buf.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals("downloading a.gguf (3.0 MiB, resuming at 1.0 MiB)", lines[0]);
        assertTrue(lines[1].matches("downloaded a\\.gguf \\(3\\.0 MiB in \\d+:\\d\\d\\)"), lines[1]);
        assertEquals(2, lines.length);
    }
}
