package dev.vera4j.tools;

import dev.vera4j.engine.api.LoadOptions;
import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.api.ModelInfo;
import dev.vera4j.engine.batch.BatchConfig;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.server.OpenAiServer;
import dev.vera4j.server.ServerConfig;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * {@code vera4j serve -m MODEL}: an OpenAI-compatible HTTP server with continuous batching and a model id per adapter
 * of {@code --adapters DIR}. Prints {@code listening on http://HOST:PORT} on stdout when ready, one line per request on
 * stderr; Ctrl-C or SIGTERM drains running requests (at most {@code --drain-timeout}) and exits 0.
 */
final class ServeCommand implements Command {
    @Override public String name() { return "serve"; }
    @Override public String summary() { return "serve the OpenAI API (chat/completions, completions, models) with continuous batching and per-request adapters"; }
    @Override public String usage() {
        return "-m MODEL [--adapters DIR] [--host 127.0.0.1] [--port 8080] [--api-key KEY] [--parallel N] [--ctx N] [-t THREADS]"
                + " [--queue N] [--timeout SECONDS] [--max-body BYTES] [--prefill-chunk N] [--kv-type f16|f32] [--adapter-cache MIB]"
                + " [--no-watch] [--drain-timeout SECONDS] [--chat-template NAME] [--device cpu|cuda|cuda:N]";
    }

    static Args.Spec spec() {
        return new Args.Spec()
                .flag("help", "-h", "--help")
                .flag("verbose", "--verbose")
                .value("model", "-m", "--model")
                .value("adapters", "--adapters")
                .value("host", "--host")
                .value("port", "--port")
                .value("api-key", "--api-key")
                .value("parallel", "-np", "--parallel")
                .value("ctx", "-c", "--ctx", "--ctx-size")
                .value("threads", "-t", "--threads")
                .value("queue", "--queue")
                .value("timeout", "--timeout")
                .value("max-body", "--max-body")
                .value("prefill-chunk", "--prefill-chunk", "-b", "--batch")
                .value("kv-type", "--kv-type")
                .value("adapter-cache", "--adapter-cache")
                .flag("no-watch", "--no-watch")
                .value("drain-timeout", "--drain-timeout")
                .value("chat-template", "--chat-template")
                .value("device", "--device");
    }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = spec().parse(argv);
        if (a.has("help")) {
            help(out);
            return 0;
        }
        if (!a.positional().isEmpty()) throw new UsageException("unexpected argument '" + a.positional().getFirst() + "'");
        Path path = ModelArg.require(a, "-m MODEL", err);
        int threads = ThreadsOption.of(a, err);
        KvType kv = KvOption.of(a);
        LoadOptions load = DeviceFlag.loadOptions(a, threads);
        Path adapters = a.has("adapters") ? Path.of(a.get("adapters")) : null;
        if (adapters != null && !Files.isDirectory(adapters)) throw new UsageException("--adapters " + adapters + " is not a directory");
        String apiKey = a.get("api-key", System.getenv("VERA4J_API_KEY"));
        ServerConfig server = new ServerConfig(a.get("host", "127.0.0.1"), a.getInt("port", 8080, 0, 65535), apiKey,
                a.getLong("max-body", 8L << 20), adapters, (long) a.getInt("adapter-cache", 512, 0, 1 << 20) << 20,
                !a.has("no-watch"), a.get("chat-template"), Duration.ofSeconds(5));
        if (server.maxBodyBytes() < 1) throw new UsageException("--max-body must be positive");
        Duration drain = Duration.ofSeconds(a.getInt("drain-timeout", 30, 0, 86_400));

        LoadReport.requireVectorApi();
        // bad values fail before the load (the context's default is the model's)
        a.getInt("ctx", 2, 2, 1 << 24);
        int parallel = a.getInt("parallel", 4, 1, 1024), queue = a.getInt("queue", 256, 0, 1 << 20), chunk = a.getInt("prefill-chunk", 128, 1, 1 << 16);
        Duration timeout = Duration.ofSeconds(a.getInt("timeout", 600, 1, 86_400 * 7));
        try (Model model = Model.load(path, load)) {
            ModelInfo info = model.info();
            int ctx = a.getInt("ctx", Math.min(4096, Math.max(2, info.contextLength())), 2, 1 << 24);
            BatchConfig batch = new BatchConfig(parallel, queue, ctx, chunk, kv, timeout);
            // every sequence has a cache of its own
            LoadReport.print(info, ctx, MemoryEstimate.of(model, info.fileBytes(), batch.parallel() * info.kvCacheBytes(ctx, kv == KvType.F16 ? 2 : 4)), err);
            err.printf(Locale.ROOT, "serve: %d sequences of %d positions (KV %s in all), queue %d, prompt chunks of %d, timeout %ds%n",
                    batch.parallel(), ctx, Numbers.bytes(batch.parallel() * info.kvCacheBytes(ctx, kv == KvType.F16 ? 2 : 4)),
                    batch.queueCapacity(), batch.prefillChunk(), batch.timeout().toSeconds());
            try (StopSignals stop = StopSignals.install(err);
                 OpenAiServer s = OpenAiServer.start(model, batch, server, err)) {
                if (!isLoopback(server.host())) {
                    err.println("warning: listening on " + server.host() + ", not loopback" + (apiKey == null ? ", without --api-key" : ""));
                }
                out.println("listening on " + s.url());
                out.flush();
                stop.await();
                err.println("stopping: finishing running requests (at most " + drain.toSeconds() + " s)");
                boolean all = s.shutdown(drain);
                err.println(all ? "stopped" : "stopped; requests still running after " + drain.toSeconds() + " s were cancelled");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return 0;
    }

    private static boolean isLoopback(String host) {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]");
    }

    private static void help(PrintStream out) {
        out.println("usage: vera4j serve " + new ServeCommand().usage());
        out.println();
        out.println("Serves the OpenAI API on http://HOST:PORT (loopback by default): GET /v1/models, POST /v1/chat/completions,");
        out.println("POST /v1/completions (with \"stream\": true for server-sent events), POST /v1/adapters/reload, GET /health and");
        out.println("GET /metrics (Prometheus). Up to --parallel sequences generate at once (continuous batching; default 4), each");
        out.println("with --ctx positions; more requests wait in a queue of --queue (default 256), beyond which they get 429 with");
        out.println("Retry-After. The base model's id is its file name without .gguf; every NAME.gguf adapter and PEFT directory");
        out.println("NAME/ in --adapters is the model id NAME (loaded on first use, kept in --adapter-cache MiB, default 512);");
        out.println("adapters made for another base are refused with one line each, and new files are picked up as they appear");
        out.println("(--no-watch: only on POST /v1/adapters/reload). --api-key (or $VERA4J_API_KEY) requires");
        out.println("\"Authorization: Bearer KEY\". Ctrl-C or SIGTERM lets running requests finish (--drain-timeout, default 30 s).");
        out.println();
        out.println(DeviceFlag.HELP);
        out.println();
        out.println("examples:");
        out.println("  vera4j serve -m stories260K.gguf --port 8080");
        out.println("  vera4j serve -m llama-3.2-1b-instruct-q4_0.gguf --adapters adapters/ --parallel 8 --ctx 2048 --api-key secret");
        out.println("  curl http://127.0.0.1:8080/v1/chat/completions -H 'Content-Type: application/json' \\");
        out.println("       -d '{\"model\": \"stories260K\", \"messages\": [{\"role\": \"user\", \"content\": \"Once upon a time\"}]}'");
    }
}
