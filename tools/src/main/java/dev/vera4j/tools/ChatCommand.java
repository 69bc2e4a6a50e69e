package dev.vera4j.tools;

import dev.vera4j.engine.api.Chat;
import dev.vera4j.engine.api.LoadOptions;
import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.api.ModelInfo;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.tools.chat.ChatRepl;
import dev.vera4j.tools.chat.Interrupts;
import dev.vera4j.tools.chat.LineEditor;
import dev.vera4j.tools.chat.Sampling;
import dev.vera4j.engine.api.ModelAdapter;
import dev.vera4j.vera.VeraAdapters;

import org.jline.terminal.Terminal;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code vera4j chat -m MODEL}: an interactive conversation. Turns are formatted with the model's chat template (or
 * continue plain text for models without one), answers stream as they are generated and the KV cache keeps the
 * conversation, so each turn prefills only its own tokens. Reads one user turn per line, from a terminal or a pipe.
 */
final class ChatCommand implements Command {
    @Override public String name() { return "chat"; }
    @Override public String summary() { return "chat with a model (streams answers; /help inside for commands)"; }
    @Override public String usage() {
        return "-m MODEL [--adapter FILE|PEFT_DIR[:WEIGHT]]... [--system TEXT] [--chat-template NAME|FILE.jinja] [--temp T] [--top-k K]"
                + " [--top-p P] [--min-p P] [--repeat-penalty R] [--seed S] [-n N] [--ctx N] [--kv-type f16|f32] [-t THREADS] [--device cpu|cuda|cuda:N] [--quiet] [--verbose]";
    }

    private static void help(PrintStream out) {
        out.println("usage: vera4j chat " + new ChatCommand().usage());
        out.println();
        out.println("Each input line is one user turn; lines starting with / are commands (/help lists them).");
        out.println("Ctrl-C stops an answer, Ctrl-D (end of input) or /quit exits. Piped input works the same way.");
        out.println("On a terminal: arrow keys, Ctrl-A/Ctrl-E, history (Up, Ctrl-R; kept in ~/.local/state/vera4j/chat_history),");
        out.println("a trailing \\ or a paste for several lines in one turn; Ctrl-C clears the line, twice on an empty line exits.");
        out.println();
        out.println("  -m, --model FILE       GGUF model");
        out.println("  --adapter SPEC         VeRA or LoRA adapter: a GGUF (llama.cpp LoRA files too) or a PEFT directory, optional :WEIGHT (repeatable: they stack)");
        out.println("  --system TEXT          system prompt");
        out.println("  --chat-template NAME   plain (continue text), llama-2, llama-3, chatml or a Jinja file instead of the model's own");
        out.println("  --temp T               temperature, 0 = greedy (default 0.8); --top-k 40, --top-p 0.95, --min-p 0.05");
        out.println("  --repeat-penalty R     penalty for repeated tokens (default 1 = off)");
        out.println("  --seed S               fixed seed: the same input gives the same answers");
        out.println("  -n N                   most tokens per answer (default 256, -1 = until the end)");
        out.println("  --ctx N                context length (default: the model's, at most 4096)");
        out.println("  --kv-type T            f16 (default) or f32 KV cache");
        out.println("  -t, --threads N        worker threads (default: all processors)");
        out.println(DeviceFlag.HELP);
        out.println("  --quiet                no load report, no per-answer stats");
        out.println("  --verbose              load timings, stack traces on errors");
        out.println();
        out.println("examples:");
        out.println("  vera4j chat -m llama-3.2-1b-instruct-q8_0.gguf --system \"You are terse.\"");
        out.println("  vera4j chat -m stories260K.gguf --temp 0 -n 40 < turns.txt");
        out.println("  vera4j chat -m base.gguf --adapter style.gguf:0.8 --seed 42");
    }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) { return run(argv, InputStream.nullInputStream(), out, err); }

    @Override
    public int run(String[] argv, InputStream in, PrintStream out, PrintStream err) {
        Args a = new Args.Spec()
                .flag("help", "-h", "--help")
                .flag("verbose", "--verbose")
                .flag("quiet", "-q", "--quiet")
                .value("model", "-m", "--model")
                .value("adapter", "--adapter")
                .value("system", "--system", "--system-prompt")
                .value("chat-template", "--chat-template")
                .value("temp", "--temp", "--temperature")
                .value("top-k", "--top-k")
                .value("top-p", "--top-p")
                .value("min-p", "--min-p")
                .value("repeat-penalty", "--repeat-penalty")
                .value("seed", "-s", "--seed")
                .value("n", "-n", "--n-predict")
                .value("ctx", "-c", "--ctx", "--ctx-size")
                .value("kv-type", "--kv-type")
                .value("threads", "-t", "--threads")
                .value("device", "--device")
                .parse(argv);
        if (a.has("help")) {
            help(out);
            return 0;
        }
        if (!a.positional().isEmpty()) throw new UsageException("unexpected argument '" + a.positional().getFirst() + "'");
        Sampling sampling = new Sampling();
        for (String key : new String[] {"temp", "top-k", "top-p", "min-p", "repeat-penalty", "seed", "n"}) {
            if (!a.has(key)) continue;
            try {
                sampling.set(key, a.get(key));
            } catch (IllegalArgumentException e) {
                String m = e.getMessage();   // "n must be between ...": name the flag as it was given
                throw new UsageException(m.startsWith(key + " ") ? a.flag(key) + m.substring(key.length()) : m);
            }
        }
        int threads = ThreadsOption.of(a, err);
        KvType kv = KvOption.of(a);
        LoadOptions load = DeviceFlag.loadOptions(a, threads);
        Path path = ModelArg.require(a, "-m MODEL", err);
        boolean quiet = a.has("quiet"), verbose = a.has("verbose");
        boolean tty = System.console() != null && System.console().isTerminal() && in == System.in;

        long t0 = System.nanoTime();
        LoadReport.requireVectorApi();
        java.util.List<AdapterOptions.Described> adapters = AdapterOptions.check(path, a.all("adapter"));   // a wrong base fails before the load
        a.getInt("ctx", 1, 1, 1 << 24);   // a bad value fails before the load (its default is the model's)
        Model model;
        try (Progress p = quiet ? null : Progress.start("loading " + path.getFileName(), err, tty)) {
            model = Model.load(path, load);
        }
        try (model) {
            ModelInfo info = model.info();
            int ctx = a.getInt("ctx", Math.min(4096, Math.max(1, info.contextLength())), 1, 1 << 24);
            Chat.Builder b = Chat.builder(model).contextLength(ctx).kvType(kv).system(a.get("system"));
            if (a.has("chat-template")) b.template(a.get("chat-template"));
            if (a.has("adapter")) b.adapter(ModelAdapter.combine(a.all("adapter").stream().map(VeraAdapters::parse).toList()));
            Chat chat;
            try {
                chat = b.build();
            } catch (IllegalArgumentException e) {
                if (e.getMessage() != null && e.getMessage().startsWith("unknown chat template")) throw new UsageException(e.getMessage());
                throw e;
            }
            if (verbose) err.printf(Locale.ROOT, "loaded in %.1f ms%n", (System.nanoTime() - t0) / 1e6);
            if (!quiet) {
                LoadReport.print(info, ctx, MemoryEstimate.of(model, info.fileBytes(), info.kvCacheBytes(ctx, kv == KvType.F16 ? 2 : 4)), err);
                LoadReport.printAdapters(adapters, err);
                if (chat.templateName().equals("plain")) {
                    err.println("note: " + path.getFileName() + " has no chat template: each line continues the text"
                            + " (--chat-template llama-2|llama-3|chatml forces one)");
                } else {
                    err.println("chat template: " + chat.templateName() + (chat.adapter() == null ? "" : "; adapter: " + chat.adapter().name()));
                }
                if (tty) err.println("type /help for commands; Ctrl-C stops an answer, Ctrl-D exits");
            }
            ChatRepl repl = new ChatRepl(chat, sampling, VeraAdapters::parse, new ChatRepl.Style(tty, tty, quiet));
            if (tty) {
                // a terminal gets the line editor, which owns Ctrl-C while it reads and hands it to ctrlC otherwise
                try (Terminal terminal = LineEditor.systemTerminal();
                     LineEditor editor = LineEditor.open(terminal, LineEditor.historyFile(System.getenv()), ChatRepl.prompt(repl.style()));
                     Interrupts ctrlC = Interrupts.manual(chat::cancel, err)) {
                    terminal.handle(Terminal.Signal.INT, s -> ctrlC.signal());
                    repl.run(editor, out, err, ctrlC);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException("cannot open the terminal: " + e.getMessage(), e);
                }
            } else {
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
                try (Interrupts ctrlC = Interrupts.install(chat::cancel, err)) {
                    repl.run(reader, out, err, ctrlC);
                }
            }
        }
        return 0;
    }
}
