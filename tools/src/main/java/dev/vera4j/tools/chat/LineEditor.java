package dev.vera4j.tools.chat;

import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.DefaultParser;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The chat prompt on a terminal, edited with JLine: arrow keys, Home/End and Ctrl-A/Ctrl-E, history (Up/Down, Ctrl-R)
 * kept in a file per user, a trailing {@code \} to continue on the next line, pasted text with newlines as one turn
 * (bracketed paste). Ctrl-C clears a line being typed; at an empty prompt it prints a hint and redraws the prompt, and a
 * second Ctrl-C on the empty line ends the input, as Ctrl-D does. {@code !} is plain text (no history expansion).
 *
 * <pre>{@code
 * try (Terminal t = LineEditor.systemTerminal(); LineEditor in = LineEditor.open(t, LineEditor.historyFile(System.getenv()), "> ")) {
 *     for (String line; (line = in.next()) != null; ) ...
 * }
 * }</pre>
 */
public final class LineEditor implements LineSource, AutoCloseable {
    static final String HINT = "(Ctrl-C again, Ctrl-D or /quit exits)";
    private final LineReader reader;
    private final String prompt;
    private boolean interruptedEmpty;

    private LineEditor(LineReader reader, String prompt) {
        this.reader = reader;
        this.prompt = prompt;
    }

    /** The user's terminal (FFM provider, else whichever JLine finds; a dumb one rather than none). */
    public static Terminal systemTerminal() throws IOException {
        return TerminalBuilder.builder().system(true).dumb(true).build();
    }

    /** {@code $XDG_STATE_HOME/vera4j/chat_history} (default {@code ~/.local/state/vera4j/chat_history}). */
    public static Path historyFile(Map<String, String> env) {
        String state = env.get("XDG_STATE_HOME");
        Path base = state == null || state.isBlank() ? Path.of(System.getProperty("user.home"), ".local", "state") : Path.of(state);
        return base.resolve("vera4j").resolve("chat_history");
    }

    /** An editor on {@code terminal} showing {@code prompt}; {@code history} may be null (history for this run only). */
    public static LineEditor open(Terminal terminal, Path history, String prompt) {
        DefaultParser parser = new DefaultParser();
        parser.setEofOnEscapedNewLine(true);   // a trailing backslash continues the turn on the next line
        LineReaderBuilder b = LineReaderBuilder.builder().terminal(terminal).appName("vera4j").parser(parser)
                .variable(LineReader.SECONDARY_PROMPT_PATTERN, "  ")
                .variable(LineReader.HISTORY_SIZE, 1000)
                .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
                .option(LineReader.Option.INSERT_TAB, true);
        if (history != null) {
            try {
                Files.createDirectories(history.getParent());
                b.variable(LineReader.HISTORY_FILE, history);
            } catch (IOException e) {
                // no history file: the history lasts for this run
            }
        }
        return new LineEditor(b.build(), prompt);
    }

    /** The JLine reader (tests hook its {@link LineReader#CALLBACK_INIT} widget). */
    LineReader reader() { return reader; }

    @Override
    public String next() {
        while (true) {
            try {
                String line = reader.readLine(prompt);
                interruptedEmpty = false;
                return line.replace("\\\n", "\n");
            } catch (UserInterruptException e) {
                if (!e.getPartialLine().isEmpty()) {
                    interruptedEmpty = false;   // Ctrl-C on a typed line drops it
                    continue;
                }
                if (interruptedEmpty) return null;
                interruptedEmpty = true;
                reader.getTerminal().writer().println(HINT);
                reader.getTerminal().flush();
            } catch (EndOfFileException e) {
                return null;
            }
        }
    }

    @Override
    public void close() {
        try {
            reader.getHistory().save();
        } catch (IOException e) {
            // history is a convenience: losing it is not an error
        }
    }
}
