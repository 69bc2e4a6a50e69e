package dev.vera4j.tools;

import dev.vera4j.engine.api.LoadOptions;
import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.api.Session;
import dev.vera4j.engine.json.Json;
import dev.vera4j.engine.kv.KvType;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code vera4j bench -m MODEL -p 128 -n 64 -t 2 -r 3}: like llama-bench, times prompt processing (pp: the prompt as
 * batched forward passes) and text generation (tg: one token per pass) on random tokens, after a warm-up, and prints
 * tokens per second as the median and spread over the repetitions.
 *
 * <p>The warm-up is one run, as llama-bench's, or repeats the run for {@code --warmup} seconds: HotSpot compiles a
 * method only after it has run often enough and the Vector API is slow until then, so kernels called a few times per
 * token (SiLU) can stay uncompiled for the first seconds of a process (docs/benchmark-log.md). A longer warm-up measures the
 * speed a long session settles at.
 */
final class BenchCommand implements Command {
    @Override public String name() { return "bench"; }
    @Override public String summary() { return "measure prompt-processing and generation speed (tokens/s), like llama-bench"; }
    @Override public String usage() { return "-m MODEL [-p 128] [-n 64] [-t THREADS] [--device cpu|cuda|cuda:N] [-r 3] [--warmup SECONDS] [--batch N] [--kv-type f16|f32] [--adapter FILE[:WEIGHT]]... [--json]"; }

    /** One test's speeds over the repetitions. */
    record Result(String test, int tokens, double[] tokensPerSecond) {
        double median() {
            double[] s = tokensPerSecond.clone();
            Arrays.sort(s);
            return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
        }

        double min() { return Arrays.stream(tokensPerSecond).min().orElse(0); }

        double max() { return Arrays.stream(tokensPerSecond).max().orElse(0); }
    }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = new Args.Spec()
                .flag("help", "-h", "--help")
                .flag("verbose", "--verbose")
                .value("model", "-m", "--model")
                .value("p", "-p", "--n-prompt")
                .value("n", "-n", "--n-gen")
                .value("threads", "-t", "--threads")
                .value("device", "--device")
                .value("reps", "-r", "--repetitions")
                .value("warmup", "--warmup")
                .value("batch", "-b", "--batch")
                .value("kv-type", "--kv-type")
                .value("adapter", "--adapter")
                .flag("json", "--json")
                .parse(argv);
        if (a.has("help")) {
            help(out);
            return 0;
        }
        if (!a.positional().isEmpty()) throw new UsageException("unexpected argument '" + a.positional().getFirst() + "'");
        Path path = ModelArg.require(a, "-m MODEL", err);
        int p = a.getInt("p", 128, 0, 1 << 20), n = a.getInt("n", 64, 0, 1 << 20);
        if (p == 0 && n == 0) throw new UsageException("nothing to measure: -p and -n are both 0");
        int threads = ThreadsOption.of(a, err);
        LoadOptions load = DeviceFlag.loadOptions(a, threads);
        int reps = a.getInt("reps", 3, 1, 1000);
        long warmupNanos = a.getInt("warmup", 0, 0, 3600) * 1_000_000_000L;
        int batch = a.getInt("batch", Math.max(1, Math.min(p, 512)), 1, 1 << 16);
        KvType kv = KvOption.of(a);
        List<Result> results = new ArrayList<>();
        List<AdapterOptions.Described> adapters = AdapterOptions.check(path, a.all("adapter"));   // a wrong base fails before the load
        Model loaded;
        try (Progress ignored = Progress.start("loading " + path.getFileName(), err, false)) {
            loaded = Model.load(path, load);
        }
        LoadReport.printAdapters(adapters, err);
        try (Model model = loaded) {
            int ctx = Math.max(p, n);
            if (ctx > model.config().contextLength()) {
                throw new IllegalArgumentException(ctx + " tokens exceed the model's context length " + model.config().contextLength());
            }
            Session session = model.newSession(ctx, kv, batch);
            AdapterOptions.attach(session, model, a.all("adapter"));   // measures the on-the-fly cost of adapters
            SplittableRandom random = new SplittableRandom(1234);
            int[] prompt = random.ints(Math.max(p, 1), 0, model.config().vocabSize()).toArray();
            int[] gen = random.ints(Math.max(n, 1), 0, model.config().vocabSize()).toArray();
            if (p > 0) results.add(measure("pp" + p, p, reps, warmupNanos, () -> promptPass(session, prompt), err));
            if (n > 0) results.add(measure("tg" + n, n, reps, warmupNanos, () -> generationPass(session, gen), err));
            print(out, a.has("json"), path, model, threads, results);
        }
        return 0;
    }

    private interface Pass { long nanos(); }

    private static Result measure(String name, int tokens, int reps, long warmupNanos, Pass pass, PrintStream err) {
        // warm-up: JIT compilation and page faults stay out of the figures
        err.printf(Locale.ROOT, "%s: warm-up%s...%n", name, warmupNanos > 0 ? " for " + warmupNanos / 1_000_000_000L + " s" : "");
        long end = System.nanoTime() + warmupNanos;
        do pass.nanos(); while (System.nanoTime() < end);
        double[] tps = new double[reps];
        for (int r = 0; r < reps; r++) {
            tps[r] = tokens * 1e9 / pass.nanos();
            err.printf(Locale.ROOT, "%s: run %d/%d, %.2f tokens/s%n", name, r + 1, reps, tps[r]);   // progress: a run can take minutes
        }
        return new Result(name, tokens, tps);
    }

    private void help(PrintStream out) {
        out.println("usage: vera4j bench " + usage());
        out.println();
        out.println("Times prompt processing (ppP: P random tokens as batched passes) and generation (tgN: N passes of one");
        out.println("token) after a warm-up, like llama-bench; prints tokens/s as median (min .. max) over the runs, and");
        out.println("progress to stderr.");
        out.println();
        out.println("  -m, --model FILE       GGUF model");
        out.println("  -p, --n-prompt P       prompt tokens per pp run (default 128, 0 = skip)");
        out.println("  -n, --n-gen N          generated tokens per tg run (default 64, 0 = skip)");
        out.println("  -r, --repetitions R    measured runs per test (default 3)");
        out.println("  --warmup SECONDS       repeat the run this long before measuring (default 0: one run), for the settled speed");
        out.println("  -b, --batch N          most tokens per forward pass (default min(P, 512))");
        out.println("  --kv-type T            f16 (default) or f32 KV cache");
        out.println("  -t, --threads N        worker threads (default: all processors)");
        out.println(DeviceFlag.HELP);
        out.println("  --adapter SPEC         measure with a VeRA adapter applied (FILE|PEFT_DIR[:WEIGHT], repeatable)");
        out.println("  --json                 one JSON array of rows instead of the table");
    }

    private static long promptPass(Session s, int[] prompt) {
        s.reset();
        long t0 = System.nanoTime();
        s.ingest(prompt);
        return System.nanoTime() - t0;
    }

    private static long generationPass(Session s, int[] tokens) {
        s.reset();
        int[] one = new int[1];
        long t0 = System.nanoTime();
        for (int t : tokens) {
            one[0] = t;
            s.ingest(one);
        }
        return System.nanoTime() - t0;
    }

    private static void print(PrintStream out, boolean json, Path path, Model model, int threads, List<Result> results) {
        long size;
        try {
            size = Files.size(path);
        } catch (IOException e) {
            size = -1;
        }
        String name = path.getFileName().toString();
        if (json) {
            List<Object> rows = new ArrayList<>();
            for (Result r : results) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("model", name);
                m.put("size_bytes", size);
                m.put("architecture", model.config().architecture());
                m.put("threads", (long) threads);
                m.put("test", r.test());
                m.put("tokens", (long) r.tokens());
                m.put("tokens_per_second_median", r.median());
                m.put("tokens_per_second_min", r.min());
                m.put("tokens_per_second_max", r.max());
                m.put("tokens_per_second", Arrays.stream(r.tokensPerSecond()).boxed().map(d -> (Object) d).toList());
                rows.add(m);
            }
            out.println(Json.write(rows));
            return;
        }
        out.printf("| %-24s | %10s | %5s | %7s | %8s | %32s |%n", "model", "size", "arch", "threads", "test", "t/s median (min .. max)");
        out.printf("| %-24s | %10s | %5s | %7s | %8s | %32s |%n", "-".repeat(24), "-".repeat(10), "-".repeat(5), "-".repeat(7), "-".repeat(8), "-".repeat(32));
        for (Result r : results) {
            String speed = String.format("%.2f (%.2f .. %.2f)", r.median(), r.min(), r.max());
            out.printf("| %-24s | %10s | %5s | %7d | %8s | %32s |%n", name, mib(size), model.config().architecture(), threads, r.test(), speed);
        }
    }

    private static String mib(long bytes) { return bytes < 0 ? "?" : String.format("%.2f MiB", bytes / 1048576.0); }
}
