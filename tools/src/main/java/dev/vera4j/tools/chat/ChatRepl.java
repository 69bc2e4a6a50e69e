package dev.vera4j.tools.chat;

import dev.vera4j.engine.api.Chat;
import dev.vera4j.engine.api.ChatStats;
import dev.vera4j.engine.api.ModelAdapter;
import dev.vera4j.engine.api.Reply;
import dev.vera4j.engine.api.StopReason;
import dev.vera4j.engine.template.ChatMessage;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The read-answer loop of {@code vera4j chat}: each input line is a user turn (or a slash command), the answer streams
 * to {@code out}, followed by a dim one-line stat. Ends at end of input or {@code /quit}.
 *
 * <pre>{@code
 * new ChatRepl(chat, new Sampling(), VeraAdapters::parse, ChatRepl.Style.PLAIN).run(reader, System.out, System.err);
 * }</pre>
 */
public final class ChatRepl {
    /** How the REPL decorates its output. */
    public record Style(boolean prompt, boolean ansi, boolean quiet) {
        /** No prompt, no colours, stats shown: for piped input. */
        public static final Style PLAIN = new Style(false, false, false);
    }

    private static final String HELP = """
            commands:
              /help                 this list
              /reset                forget the conversation (the system prompt stays)
              /system TEXT          set the system prompt and start over
              /adapter FILE[:W]|off use a VeRA adapter (GGUF or PEFT directory), or none
              /set NAME VALUE       change sampling: %s
              /stats                tokens, speed and context use so far
              /save FILE            write the conversation as JSON
              /load FILE            read a conversation saved with /save
              /quit                 exit (so does Ctrl-D); Ctrl-C stops an answer""".formatted(Sampling.NAMES);

    private final Chat chat;
    private final Sampling sampling;
    private final Function<String, ModelAdapter> adapters;
    private final Style style;

    /**
     * @param adapters turns a {@code /adapter} argument into an adapter
     */
    public ChatRepl(Chat chat, Sampling sampling, Function<String, ModelAdapter> adapters, Style style) {
        this.chat = chat;
        this.sampling = sampling;
        this.adapters = adapters;
        this.style = style;
    }

    /** The prompt for {@code style}: bold on a terminal. */
    public static String prompt(Style style) { return style.ansi() ? "\033[1m> \033[0m" : "> "; }

    /** How this REPL decorates its output. */
    public Style style() { return style; }

    /** Runs until end of input or {@code /quit} reading lines from {@code in}; Ctrl-C is handled only when {@code ctrlC} is not null. */
    public void run(BufferedReader in, PrintStream out, PrintStream err, Interrupts ctrlC) {
        run(() -> {
            if (style.prompt()) {
                out.print(prompt(style));
                out.flush();
            }
            return in.readLine();
        }, out, err, ctrlC);
    }

    /** Runs until end of input or {@code /quit}, taking lines from {@code in} (which prompts for them). */
    public void run(LineSource in, PrintStream out, PrintStream err, Interrupts ctrlC) {
        while (true) {
            String line;
            try {
                line = in.next();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read input: " + e.getMessage(), e);
            }
            if (line == null) {
                if (style.prompt()) out.println();
                return;
            }
            if (line.isBlank()) continue;
            if (line.startsWith("/")) {
                try {
                    if (!command(line.strip(), out)) return;
                } catch (RuntimeException e) {
                    err.println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
                }
                continue;
            }
            answer(line, out, err, ctrlC);
        }
    }

    private void answer(String line, PrintStream out, PrintStream err, Interrupts ctrlC) {
        chat.options(sampling.options());
        if (ctrlC != null) ctrlC.generating(true);
        Reply r;
        try {
            r = chat.send(line, text -> {
                out.print(text);
                out.flush();
            });
        } catch (RuntimeException e) {
            err.println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return;
        } finally {
            if (ctrlC != null) ctrlC.generating(false);
        }
        out.println();
        if (r.droppedMessages() > 0) {
            note(out, "dropped the " + r.droppedMessages() + " oldest message" + (r.droppedMessages() == 1 ? "" : "s")
                    + " to fit the context of " + chat.stats().contextLength() + " tokens");
        }
        if (style.quiet()) return;
        String why = r.cancelled() ? ", stopped" : r.stopReason() == StopReason.CONTEXT_FULL ? ", context full"
                : r.stopReason() == StopReason.MAX_TOKENS ? ", length limit" : "";
        note(out, String.format(Locale.ROOT, "%d tokens, %.1f tok/s, first token %.0f ms%s", r.timings().generatedTokens(),
                r.timings().generationTokensPerSecond(), Math.max(0, r.timeToFirstTokenNanos()) / 1e6, why));
    }

    private void note(PrintStream out, String text) {
        out.println(style.ansi() ? "\033[2m[" + text + "]\033[0m" : "[" + text + "]");
    }

    /** Runs a slash command; false to leave the REPL. */
    private boolean command(String line, PrintStream out) {
        int space = line.indexOf(' ');
        String name = space < 0 ? line : line.substring(0, space);
        String arg = space < 0 ? "" : line.substring(space + 1).strip();
        switch (name) {
            case "/quit", "/exit" -> { return false; }
            case "/help" -> out.println(HELP);
            case "/reset" -> {
                chat.reset();
                out.println("conversation cleared");
            }
            case "/system" -> {
                chat.system(arg.isEmpty() ? null : arg);
                out.println(arg.isEmpty() ? "system prompt removed; conversation cleared" : "system prompt set; conversation cleared");
            }
            case "/adapter" -> {
                if (arg.isEmpty()) {
                    out.println("adapter: " + (chat.adapter() == null ? "none" : chat.adapter().name()));
                } else if (arg.equals("off") || arg.equals("none")) {
                    chat.adapter(null);
                    out.println("adapter off");
                } else {
                    chat.adapter(adapters.apply(arg));
                    out.println("adapter " + chat.adapter().name() + " on (the next answer re-reads the conversation)");
                }
            }
            case "/set" -> {
                if (arg.isEmpty()) {
                    out.println(sampling.describe());
                } else {
                    String[] kv = arg.split("\\s+");
                    if (kv.length != 2) throw new IllegalArgumentException("usage: /set NAME VALUE (" + Sampling.NAMES + ")");
                    sampling.set(kv[0], kv[1]);
                    out.println(sampling.describe());
                }
            }
            case "/stats" -> out.println(stats(chat.stats()));
            case "/save" -> {
                Conversations.save(Path.of(requireArg(name, arg)), chat.messages());
                out.println("saved " + chat.messages().size() + " messages to " + arg);
            }
            case "/load" -> {
                List<ChatMessage> messages = Conversations.load(Path.of(requireArg(name, arg)));
                chat.messages(messages);
                out.println("loaded " + messages.size() + " messages from " + arg);
            }
            default -> throw new IllegalArgumentException("unknown command " + name + " (/help lists them)");
        }
        return true;
    }

    private static String requireArg(String name, String arg) {
        if (arg.isEmpty()) throw new IllegalArgumentException(name + " needs a file name");
        return arg;
    }

    /** The {@code /stats} line. */
    static String stats(ChatStats s) {
        return String.format(Locale.ROOT, "replies %d; prompt %d tokens (%.1f tok/s); generated %d tokens (%.1f tok/s); context %d/%d (%.0f%%)",
                s.replies(), s.promptTokens(), s.promptTokensPerSecond(), s.generatedTokens(), s.generationTokensPerSecond(),
                s.contextUsed(), s.contextLength(), 100.0 * s.contextUsed() / s.contextLength());
    }
}
