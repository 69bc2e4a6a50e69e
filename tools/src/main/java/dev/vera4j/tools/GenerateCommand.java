package dev.vera4j.tools;

import dev.vera4j.engine.api.Chat;
import dev.vera4j.engine.api.ChatFormat;
import dev.vera4j.engine.api.GenerateOptions;
import dev.vera4j.engine.api.Generation;
import dev.vera4j.engine.api.LoadOptions;
import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.api.Session;
import dev.vera4j.engine.json.Json;
import dev.vera4j.engine.kv.KvType;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code vera4j generate -m MODEL -p PROMPT}: streams a continuation of the prompt to stdout and timings to stderr, or
 * with {@code --json} prints one JSON object (prompt and generated ids, text, timings, stop reason).
 */
final class GenerateCommand implements Command {
    @Override public String name() { return "generate"; }
    @Override public String summary() { return "continue a prompt with a model (streams text; --json for ids and timings)"; }
    @Override public String usage() {
        return "-m MODEL (-p PROMPT | -p - | -f FILE | < stdin) [--chat [--system TEXT] [--chat-template NAME|FILE.jinja]] [-n N (-1 = until the end)] [--temp T (0=greedy)] [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R]"
                + " [--repeat-last-n N] [--presence-penalty P] [--frequency-penalty F] [--seed S] [--stop TEXT]... [--ignore-eos]"
                + " [--ctx N] [--batch N] [--kv-type f16|f32] [-t THREADS] [--device cpu|cuda|cuda:N] [--json] [--adapter FILE[:WEIGHT]]... [--quiet]";
    }

    static Args.Spec spec() {
        return new Args.Spec()
                .flag("help", "-h", "--help")
                .flag("verbose", "--verbose")
                .flag("quiet", "-q", "--quiet")
                .value("model", "-m", "--model")
                .value("prompt", "-p", "--prompt")
                .value("file", "-f", "--file")
                .flag("chat", "--chat")
                .value("system", "--system", "--system-prompt")
                .value("chat-template", "--chat-template")
                .value("n", "-n", "--n-predict")
                .value("temp", "--temp", "--temperature")
                .value("top-k", "--top-k")
                .value("top-p", "--top-p")
                .value("min-p", "--min-p")
                .value("repeat-penalty", "--repeat-penalty")
                .value("repeat-last-n", "--repeat-last-n")
                .value("presence-penalty", "--presence-penalty")
                .value("frequency-penalty", "--frequency-penalty")
                .value("seed", "-s", "--seed")
                .value("stop", "--stop")
                .flag("ignore-eos", "--ignore-eos")
                .value("ctx", "-c", "--ctx", "--ctx-size")
                .value("batch", "-b", "--batch", "--batch-size")
                .value("kv-type", "--kv-type")
                .value("threads", "-t", "--threads")
                .value("device", "--device")
                .flag("json", "--json")
                .value("adapter", "--adapter");
    }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) { return run(argv, InputStream.nullInputStream(), out, err); }

    @Override
    public int run(String[] argv, InputStream in, PrintStream out, PrintStream err) {
        Args a = spec().parse(argv);
        if (a.has("help")) {
            help(out);
            return 0;
        }
        if (!a.positional().isEmpty()) throw new UsageException("unexpected argument '" + a.positional().getFirst() + "'");
        if (!a.has("chat") && (a.has("system") || a.has("chat-template"))) throw new UsageException("--system and --chat-template need --chat");
        String prompt = PromptInput.read(a, in);
        GenerateOptions.Builder b = GenerateOptions.builder()
                .maxTokens(maxTokens(a.getInt("n", 128, -1, 1 << 24)))
                .temperature((float) a.getDouble("temp", 0.8, 0, 100))
                .topK(a.getInt("top-k", 40, 0, Integer.MAX_VALUE))
                .topP((float) a.getDouble("top-p", 0.95, 1e-9, 1))
                .minP((float) a.getDouble("min-p", 0.05, 0, 1))
                .repeatPenalty((float) a.getDouble("repeat-penalty", 1.0, 1e-6, 100))
                .penaltyLastN(a.getInt("repeat-last-n", 64, 0, 1 << 24))
                .presencePenalty((float) a.getDouble("presence-penalty", 0, -100, 100))
                .frequencyPenalty((float) a.getDouble("frequency-penalty", 0, -100, 100))
                .stopStrings(a.all("stop"));
        if (a.has("seed")) b.seed(a.getLong("seed", 0));
        if (a.has("ignore-eos")) b.ignoreEndOfGeneration();
        for (String s : a.all("stop")) if (s.isEmpty()) throw new UsageException("--stop needs a non-empty string");
        GenerateOptions options = b.build();
        int threads = ThreadsOption.of(a, err);
        KvType kv = KvOption.of(a);
        LoadOptions load = DeviceFlag.loadOptions(a, threads);
        boolean json = a.has("json"), quiet = a.has("quiet"), chat = a.has("chat");
        java.nio.file.Path path = ModelArg.require(a, "-m MODEL", err);
        long t0 = System.nanoTime();
        LoadReport.requireVectorApi();
        List<AdapterOptions.Described> adapters = AdapterOptions.check(path, a.all("adapter"));   // a wrong base fails before the load
        int maxTokens = options.maxTokens();
        // bad values fail before the load (their defaults need the prompt's length, known only after it)
        a.getInt("ctx", 1, 1, 1 << 24);
        a.getInt("batch", 1, 1, 1 << 16);
        Model loaded;
        try (Progress p = quiet ? null : Progress.start("loading " + path.getFileName(), err, false)) {
            loaded = Model.load(path, load);
        }
        try (Model model = loaded) {
            dev.vera4j.engine.api.ModelInfo info = model.info();
            int modelCtx = Math.min(4096, Math.max(1, info.contextLength()));
            int[] ids;
            try {
                ChatFormat format = chat ? ChatFormat.forModel(model, a.get("chat-template")) : null;
                if (chat && format.name().equals("plain") && !a.has("chat-template") && !quiet) {
                    err.println("note: " + path.getFileName() + " has no chat template: --chat falls back to plain text"
                            + " (--chat-template llama-2|llama-3|chatml|FILE.jinja forces one)");
                }
                ids = chat ? Chat.promptIds(model, a.get("chat-template"), a.get("system"), prompt) : model.tokenizer().encode(prompt, true, true);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
            // the KV cache holds what this run can reach (prompt + -n), not the model's whole context: a short run
            // of a 1B model would otherwise reserve 128 MiB it never touches
            int ctx = a.getInt("ctx", ContextSize.forRun(ids.length, maxTokens, modelCtx), 1, 1 << 24);
            int batch = a.getInt("batch", Math.min(128, Math.max(1, ids.length)), 1, 1 << 16);
            Session session = model.newSession(ctx, kv, batch);
            AdapterOptions.attach(session, model, a.all("adapter"));
            // after everything that can fail, so that an error is the first line on stderr
            if (!quiet) {
                LoadReport.print(info, ctx, MemoryEstimate.of(model, info.fileBytes(), info.kvCacheBytes(ctx, kv == KvType.F16 ? 2 : 4)), err);
                LoadReport.printAdapters(adapters, err);
            }
            if (a.has("verbose")) err.printf(java.util.Locale.ROOT, "loaded in %.1f ms%n", (System.nanoTime() - t0) / 1e6);
            if (!json && !chat) out.print(prompt);
            Generation g = session.generate(ids, options, (id, text) -> {
                if (!json) {
                    out.print(text);
                    out.flush();
                }
            });
            if (json) {
                out.println(Json.write(toJson(g, options)));
            } else {
                out.println();
                if (!quiet) err.printf("prompt: %d tokens in %.1f ms (%.2f tokens/s); generation: %d tokens in %.1f ms (%.2f tokens/s); stop: %s%n",
                        g.timings().promptTokens(), g.timings().promptNanos() / 1e6, g.timings().promptTokensPerSecond(),
                        g.timings().generatedTokens(), g.timings().generationNanos() / 1e6, g.timings().generationTokensPerSecond(),
                        g.stopReason().name().toLowerCase());
                long peak = MemoryEstimate.peakResident();
                if (a.has("verbose") && peak > 0) err.println("peak resident memory: " + Numbers.bytes(peak) + " (VmHWM)");
            }
        }
        return 0;
    }

    private static void help(PrintStream out) {
        out.println("usage: vera4j generate " + new GenerateCommand().usage());
        out.println();
        out.println("Continues a prompt (or, with --chat, answers it as a user turn of the model's chat template) and streams");
        out.println("the text to stdout; load report and timings go to stderr (--quiet: none). The prompt comes from -p TEXT,");
        out.println("-f FILE, or stdin (-p - or no -p with piped input). Sampling defaults are llama.cpp's.");
        out.println();
        out.println("  -m, --model FILE       GGUF model");
        out.println("  -p, --prompt TEXT      the prompt (- reads stdin); -f, --file FILE reads it from a file");
        out.println("  --chat                 format the prompt as one user turn of the chat template (plain text without one)");
        out.println("  --system TEXT          system prompt (with --chat)");
        out.println("  --chat-template NAME   llama-2, llama-3, chatml, plain or a Jinja file instead of the model's (with --chat)");
        out.println("  -n, --n-predict N      most tokens to generate (default 128, -1 = until the end or a full context)");
        out.println("  --temp T               temperature, 0 = greedy (default 0.8)");
        out.println("  --top-k K              keep the K likeliest tokens (default 40, 0 = all)");
        out.println("  --top-p P              keep the likeliest tokens up to probability P (default 0.95)");
        out.println("  --min-p P              drop tokens below P times the likeliest one's probability (default 0.05)");
        out.println("  --repeat-penalty R     divide the logits of recent tokens by R (default 1 = off) over --repeat-last-n N (64)");
        out.println("  --presence-penalty P   subtract P from tokens seen in the last N (default 0); --frequency-penalty F per occurrence");
        out.println("  -s, --seed S           sampling seed (default: random; the same seed gives the same text)");
        out.println("  --stop TEXT            stop when the text appears (repeatable; not printed)");
        out.println("  --ignore-eos           keep generating past the end-of-generation token");
        out.println("  -c, --ctx N            context length (default: prompt + -n, at most the model's and 4096)");
        out.println("  -b, --batch N          most prompt tokens per forward pass (default: the prompt's, at most 128)");
        out.println("  --kv-type T            f16 (default) or f32 KV cache");
        out.println("  -t, --threads N        worker threads (default: all processors)");
        out.println(DeviceFlag.HELP);
        out.println("  --adapter SPEC         VeRA adapter: a vera4j adapter GGUF or a PEFT directory, optional :WEIGHT (repeatable)");
        out.println("  --json                 print one JSON object: prompt and generated ids, text, timings, stop reason");
        out.println("  -q, --quiet            no load report and timings; --verbose adds load time and stack traces");
        out.println();
        out.println("examples:");
        out.println("  vera4j generate -m stories260K.gguf -p \"Once upon a time\" -n 64 --temp 0");
        out.println("  vera4j generate -m llama-3.2-1b-instruct-q8_0.gguf --chat --system \"Be brief.\" -p \"What is GGUF?\"");
        out.println("  echo \"Once upon a time\" | vera4j generate -m stories260K.gguf --seed 42 --json");
        out.println("  vera4j generate -m model.gguf -f prompt.txt --adapter style.gguf:0.8");
    }

    /** llama.cpp's convention: -1 generates until end of generation or a full context. */
    private static int maxTokens(int n) { return n < 0 ? Integer.MAX_VALUE : n; }

    static Map<String, Object> toJson(Generation g, GenerateOptions o) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("prompt_ids", ids(g.promptTokens()));
        m.put("generated_ids", ids(g.tokens()));
        m.put("text", g.text());
        m.put("stop_reason", g.stopReason().name().toLowerCase());
        if (g.stopString() != null) m.put("stop_string", g.stopString());
        m.put("seed", o.sampler().seed());
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("prompt_tokens", (long) g.timings().promptTokens());
        t.put("prompt_ms", g.timings().promptNanos() / 1e6);
        t.put("prompt_tokens_per_second", g.timings().promptTokensPerSecond());
        t.put("generated_tokens", (long) g.timings().generatedTokens());
        t.put("generation_ms", g.timings().generationNanos() / 1e6);
        t.put("generation_tokens_per_second", g.timings().generationTokensPerSecond());
        m.put("timings", t);
        return m;
    }

    private static List<Object> ids(int[] ids) {
        return Arrays.stream(ids).mapToObj(i -> (Object) (long) i).toList();
    }
}
