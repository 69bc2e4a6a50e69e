package dev.vera4j.tools.chat;

import dev.vera4j.engine.Vera4j;
import dev.vera4j.engine.api.Chat;
import org.jline.reader.LineReader;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link LineEditor} driven through JLine's external terminal (a line discipline like a pseudo-terminal's: raw mode,
 * Ctrl-C raised as SIGINT) with scripted keys. Every step waits for a condition (the editor entering a read, text on
 * the screen), never for time; the 60 s limits only stop a broken test.
 */
class LineEditorTest {
    private static final long GUARD_S = 60;
    private static final String EOF = "\u0000EOF";
    /** The arrow keys as xterm sends them once JLine has switched the keypad to application mode (smkx). */
    private static final String UP = "\033OA", LEFT = "\033OD";
    @TempDir Path dir;

    /** An editor on a terminal whose keyboard and screen the test holds; lines come back through a queue. */
    private static final class Session implements AutoCloseable {
        final PipedOutputStream keys = new PipedOutputStream();
        final ByteArrayOutputStream screen = new ByteArrayOutputStream();
        final Terminal terminal;
        final LineEditor editor;
        final Semaphore reading = new Semaphore(0);
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        /** {@code ownLoop}: a thread reads lines into {@link #lines}; otherwise the caller reads from {@link #editor}. */
        Session(Path history, boolean ownLoop) throws IOException {
            PipedInputStream in = new PipedInputStream(keys, 1 << 16);
            terminal = TerminalBuilder.builder().system(false).streams(in, screen).type("xterm").size(new Size(120, 40))
                    .encoding(StandardCharsets.UTF_8).build();
            editor = LineEditor.open(terminal, history, "> ");
            // called by JLine each time a read starts (the INT handler is in place): the moment keys may be typed
            editor.reader().getWidgets().put(LineReader.CALLBACK_INIT, () -> {
                reading.release();
                return true;
            });
            if (!ownLoop) return;
            Thread.ofPlatform().daemon().start(() -> {
                while (true) {
                    String l = editor.next();
                    lines.add(l == null ? EOF : l);
                    if (l == null) return;
                }
            });
        }

        void awaitReading() throws InterruptedException {
            assertTrue(reading.tryAcquire(GUARD_S, TimeUnit.SECONDS), "the editor did not start reading: " + screen());
        }

        void type(String s) {
            try {
                keys.write(s.getBytes(StandardCharsets.UTF_8));
                keys.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        String line() throws InterruptedException {
            String l = lines.poll(GUARD_S, TimeUnit.SECONDS);
            assertNotNull(l, "no line: " + screen());
            return l;
        }

        String screen() { return screen.toString(StandardCharsets.UTF_8); }

        void awaitScreen(String text, int times) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(GUARD_S);
            while (count(screen(), text) < times) {
                assertTrue(System.nanoTime() < end, "waited for " + times + "x '" + text + "' on: " + screen());
                Thread.sleep(5);   // polling a condition, not timing the editor
            }
        }

        @Override
        public void close() throws Exception {
            editor.close();
            terminal.close();
        }
    }

    private static int count(String s, String part) {
        int n = 0;
        for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + 1)) n++;
        return n;
    }

    @Test
    void editsRecallsContinuesAndExitsOnTheSecondCtrlC() throws Exception {
        Path history = dir.resolve("state/vera4j/chat_history");
        try (Session s = new Session(history, true)) {
            s.awaitReading();
            s.type("first line \\\rsecond line\r");
            assertEquals("first line \nsecond line", s.line(), "a trailing backslash continues the turn");
            s.awaitReading();
            s.type("\033[200~pasted one\npasted two\033[201~\r");
            assertEquals("pasted one\npasted two", s.line(), "a paste with newlines is one turn");
            s.awaitReading();
            s.type("hello wrld" + LEFT.repeat(3) + "o\r");
            assertEquals("hello world", s.line(), "left arrow moves the cursor");
            s.awaitReading();
            s.type("ab\u0001X\u0005Y\r");
            assertEquals("XabY", s.line(), "Ctrl-A goes to the start, Ctrl-E to the end");
            s.awaitReading();
            s.type(UP + UP + "!\r");
            assertEquals("hello world!", s.line(), "up arrow recalls earlier lines; ! is plain text");

            s.awaitReading();
            s.type("abandoned");
            s.awaitScreen("abandoned", 1);
            s.type("\u0003");   // Ctrl-C on a typed line: dropped, a fresh prompt
            s.awaitReading();
            assertFalse(s.screen().contains(LineEditor.HINT));
            s.type("\u0003");   // Ctrl-C at an empty prompt: the hint, the prompt again
            s.awaitScreen(LineEditor.HINT, 1);
            s.awaitReading();
            assertTrue(s.lines.isEmpty(), s.lines.toString());
            s.type("\u0003");   // and again on the empty line: the end
            assertEquals(EOF, s.line());
            assertEquals(1, count(s.screen(), LineEditor.HINT));
        }
        String saved = Files.readString(history);
        assertTrue(saved.contains("hello world!") && saved.contains("XabY") && !saved.contains("abandoned"), saved);

        try (Session again = new Session(history, true)) {
            again.awaitReading();
            again.type(UP + "\r");
            assertEquals("hello world!", again.line(), "history survives the session");
            again.awaitReading();
            again.type("\u0004");   // Ctrl-D on an empty line
            assertEquals(EOF, again.line());
        }
    }

    @Test
    void theChatReplTakesItsTurnsFromTheEditor() throws Exception {
        Path stories = Path.of(System.getProperty("vera4j.shared", "../shared")).resolve("models/stories260K.gguf");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Vera4j model = Vera4j.load(stories); Session s = new Session(null, false)) {
            Chat chat = model.chat().build();
            ChatRepl repl = new ChatRepl(chat, new Sampling(), f -> { throw new IllegalArgumentException("no adapters here"); },
                    new ChatRepl.Style(true, false, true));
            PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
            Thread t = Thread.ofPlatform().start(() -> repl.run(s.editor, ps, ps, null));
            s.awaitReading();
            s.type("/hlp" + LEFT.repeat(2) + "e\r");
            s.awaitReading();
            s.type("\u0004");
            t.join(TimeUnit.SECONDS.toMillis(GUARD_S));
            assertFalse(t.isAlive());
        }
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("/reset"), "the /help text: " + out);
    }
}
