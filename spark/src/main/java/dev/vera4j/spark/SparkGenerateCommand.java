package dev.vera4j.spark;

import dev.vera4j.tools.Args;
import dev.vera4j.tools.Command;
import dev.vera4j.tools.UsageException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code vera4j-spark generate}: continues the {@code prompt} column of a table (JSON lines, Parquet, or text with one
 * prompt per line) as {@code vera4j generate} would, with an optional per-row adapter column, and writes the rows with
 * {@code text}, {@code generated_tokens} and {@code stop_reason} added as JSON lines under {@code --output DIR}.
 *
 * <pre>{@code
 * vera4j-spark generate --master local[2] -m stories260K.gguf --input prompts.jsonl --adapter-column adapter --output out -n 64 --temp 0
 * }</pre>
 */
final class SparkGenerateCommand implements Command {
    @Override public String name() { return "generate"; }
    @Override public String summary() { return "continue a column of prompts (optional per-row adapter) as new columns"; }
    @Override public String usage() {
        return "[--master URL] -m MODEL --input FILE|DIR --output DIR [--prompt-column prompt] [--adapter-column COL] [-n N] [--temp T] "
                + "[--top-k K] [--top-p P] [--min-p P] [--repeat-penalty X] [--seed S] [--ctx N] [--partitions N] [--executor-threads N]";
    }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = new Args.Spec().flag("help", "-h", "--help").value("master", "--master").value("model", "-m", "--model")
                .value("input", "--input").value("output", "-o", "--output").value("prompt-column", "--prompt-column")
                .value("adapter-column", "--adapter-column").value("n", "-n", "--n-predict").value("temp", "--temp")
                .value("top-k", "--top-k").value("top-p", "--top-p").value("min-p", "--min-p").value("repeat-penalty", "--repeat-penalty")
                .value("seed", "--seed").value("ctx", "-c", "--ctx").value("partitions", "--partitions")
                .value("executor-threads", "--executor-threads").flag("verbose", "--verbose").parse(argv);
        if (a.has("help")) {
            help(out);
            return 0;
        }
        if (!a.positional().isEmpty()) throw new UsageException("unexpected argument '" + a.positional().getFirst() + "'");
        String model = a.require("model", "-m MODEL"), input = a.require("input", "--input FILE|DIR"), output = a.require("output", "--output DIR");
        SparkIo.requireLocal(model, "-m");
        Path localOut = SparkIo.localPath(output);
        if (localOut != null && Files.exists(localOut)) throw new UsageException("--output: " + output + " already exists");
        GenerateSpec spec = new GenerateSpec(absolute(model), a.getInt("executor-threads", 0, 0, 1024), a.getInt("ctx", 4096, 1, 1 << 24),
                a.getInt("n", 128, 0, 1 << 24), (float) a.getDouble("temp", 0.8, 0, 100), a.getInt("top-k", 40, 0, Integer.MAX_VALUE),
                (float) a.getDouble("top-p", 0.95, 1e-9, 1), (float) a.getDouble("min-p", 0.05, 0, 1),
                (float) a.getDouble("repeat-penalty", 1.0, 1e-6, 100), a.has("seed") ? a.getLong("seed", 0) : null);
        int partitions = a.getInt("partitions", 0, 0, 1 << 20);
        try (SparkSessions.Handle h = SparkSessions.open(a.get("master"))) {
            Dataset<Row> rows = SparkIo.read(h.session(), input, "--input");
            if (partitions > 0) rows = rows.repartition(partitions);
            Dataset<Row> result = BatchGenerate.apply(rows, a.get("prompt-column", "prompt"), a.get("adapter-column"), spec);
            long t0 = System.nanoTime();
            SparkIo.reported(() -> {
                result.write().json(output);
                return null;
            });
            long n = h.session().read().json(output).count();
            out.printf(Locale.ROOT, "generated %d rows in %.1f s; written to %s%n", n, (System.nanoTime() - t0) / 1e9, output);
            return 0;
        }
    }

    /** Executors resolve a relative path against their own working folder: pass the driver's absolute one. */
    static String absolute(String path) {
        Path p = SparkIo.localPath(path);
        return p == null ? path : p.toAbsolutePath().toString();
    }

    private static void help(PrintStream out) {
        out.println("usage: vera4j-spark generate " + new SparkGenerateCommand().usage());
        out.println();
        out.println("Continues each row's prompt as `vera4j generate` does (the same sampling flags and defaults; --seed S gives");
        out.println("every row the generation `vera4j generate --seed S` prints for its prompt) and writes the input rows with");
        out.println("text, generated_tokens and stop_reason added, as JSON lines under --output DIR.");
        out.println("  --input FILE|DIR      .jsonl/.json: JSON lines; .parquet: Parquet; .txt: one prompt per line");
        out.println("  --prompt-column COL   the prompts (default prompt)");
        out.println("  --adapter-column COL  per-row adapter FILE[:WEIGHT] (a vera4j adapter or PEFT folder); null or empty: none");
        out.println("  --partitions N        repartition the input into N tasks (default: as read)");
        out.println("  --executor-threads N  threads of each executor's model (default: the executor's processors)");
        out.println("Model and adapter paths must exist on every executor (shared storage, or spark-submit --files).");
        out.println();
        out.println("examples:");
        out.println("  vera4j-spark generate --master local[2] -m stories260K.gguf --input prompts.jsonl --output out -n 64 --temp 0");
        out.println("  vera4j-spark generate -m base.gguf --input s3a://bucket/prompts.parquet --adapter-column adapter --output s3a://bucket/out --seed 42");
    }

}
