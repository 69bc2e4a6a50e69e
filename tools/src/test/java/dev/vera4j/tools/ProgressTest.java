package dev.vera4j.tools;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** {@link Progress}: silent for short steps, one line (or an in-place counter) for steps over a second. */
class ProgressTest {
    private static String run(long millis, boolean tty) throws InterruptedException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (Progress p = Progress.start("loading m.gguf", err, tty)) {
            Thread.sleep(millis);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void quickStepsPrintNothing() throws InterruptedException {
        assertEquals("", run(50, true));
        assertEquals("", run(50, false));
    }

    @Test
    void slowStepsAreShown() throws InterruptedException {
        assertEquals("loading m.gguf...\n", run(1400, false));
        String tty = run(1400, true);
        assertTrue(tty.startsWith("\rloading m.gguf... 1s") && tty.endsWith("\r\033[K"), tty);
    }
}
