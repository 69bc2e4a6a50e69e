package dev.vera4j.tests;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

import static dev.vera4j.tests.ChatCommandTest.cli;
import static org.junit.jupiter.api.Assertions.*;

/** Several {@code --adapter}s in one chat add their updates: two halves of one adapter act as the whole. */
class ChatAdaptersTest {
    private static final Path SHARED = Path.of(System.getProperty("vera4j.shared", "../shared"));
    private static final String STORIES = SHARED.resolve("models/stories260K.gguf").toString();
    private static final String PEFT = Path.of("../vera/src/test/resources/dev/vera4j/vera/stories/stories-vera").toString();

    private static String answer(String... adapterArgs) {
        String[] base = {"chat", "-m", STORIES, "--temp", "0", "-n", "48", "--quiet"};
        String[] args = new String[base.length + adapterArgs.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(adapterArgs, 0, args, base.length, adapterArgs.length);
        ChatCommandTest.Result r = cli("Once upon a time\n", args);
        assertEquals(0, r.code(), r.err());
        return r.out();
    }

    @Test
    void repeatedAdaptersAddUp() {
        String whole = answer("--adapter", PEFT + ":1.0");
        String halves = answer("--adapter", PEFT + ":0.5", "--adapter", PEFT + ":0.5");
        String none = answer();
        assertEquals(whole, halves);
        assertNotEquals(none, whole, "the adapter must change the greedy answer for this test to mean anything");
    }
}
