package dev.vera4j.spark;

import dev.vera4j.tools.Args;
import dev.vera4j.tools.Command;
import dev.vera4j.tools.UsageException;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.VeraConfig;
import dev.vera4j.vera.VeraTarget;
import dev.vera4j.vera.train.Schedule;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;

/**
 * {@code vera4j-spark train-many}: one adapter per value of {@code --key-column}, trained in parallel tasks with the
 * training flags of {@code vera4j train} (and its defaults), written to {@code --output DIR} as {@code KEY.gguf},
 * with a summary table printed (and written as JSON lines with {@code --summary FILE}).
 *
 * <pre>{@code
 * vera4j-spark train-many --master local[2] -m stories260K.gguf --data tenants.jsonl --key-column tenant --output adapters --steps 50
 * }</pre>
 */
final class SparkTrainManyCommand implements Command {
    @Override public String name() { return "train-many"; }
    @Override public String summary() { return "train one VeRA adapter per key of a table, in parallel tasks"; }
    @Override public String usage() {
        return "[--master URL] -m BASE.gguf --data FILE|DIR --key-column COL --output DIR [--summary FILE] [--partitions N] [--executor-threads N] "
                + "[--rank R] [--targets q,v] [--lr X] (--steps N | --epochs N) [--seq N] [--batch B] [--accum K] [--seed S] "
                + "[--warmup N] [--schedule constant|linear|cosine] [--weight-decay X] [--clip X] [--checkpointing] [--chat-template NAME|FILE]";
    }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = new Args.Spec().flag("help", "-h", "--help").value("master", "--master").value("model", "-m", "--model")
                .value("data", "--data").value("key-column", "--key-column").value("output", "-o", "--output").value("summary", "--summary")
                .value("partitions", "--partitions").value("executor-threads", "--executor-threads")
                .value("rank", "-r", "--rank").value("targets", "--targets").value("d-initial", "--d-initial")
                .value("lr", "--lr").value("lr-b", "--lr-b").value("lr-d", "--lr-d")
                .value("steps", "--steps").value("epochs", "--epochs").value("seq", "--seq").value("batch", "--batch")
                .value("accum", "--accum").value("seed", "--seed").value("warmup", "--warmup").value("schedule", "--schedule")
                .value("weight-decay", "--weight-decay").value("beta1", "--beta1").value("beta2", "--beta2").value("adam-eps", "--adam-eps")
                .value("clip", "--clip").flag("checkpointing", "--checkpointing").value("chat-template", "--chat-template")
                .flag("verbose", "--verbose").parse(argv);
        if (a.has("help")) {
            help(out);
            return 0;
        }
        if (!a.positional().isEmpty()) throw new UsageException("unexpected argument '" + a.positional().getFirst() + "'");
        String model = a.require("model", "-m BASE.gguf"), data = a.require("data", "--data FILE|DIR");
        String key = a.require("key-column", "--key-column COL"), output = a.require("output", "--output DIR");
        SparkIo.requireLocal(model, "-m");
        if (a.has("steps") && a.has("epochs")) throw new UsageException("give --steps or --epochs, not both");
        double lr = a.getDouble("lr", 1e-2, 0, 10);
        Schedule.Kind kind;
        try {
            kind = Schedule.Kind.parse(a.get("schedule", "constant"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        String modelPath = SparkGenerateCommand.absolute(model);
        Path localModel = SparkIo.localPath(modelPath);
        BaseFingerprint fp = BaseFingerprint.of(localModel);
        long seed = a.getLong("seed", 0);
        VeraConfig adapter = TenantTraining.adapterFor(fp, seed, a.getInt("rank", VeraConfig.DEFAULT_RANK, 1, 1 << 16),
                (float) a.getDouble("d-initial", VeraConfig.DEFAULT_D_INITIAL, -1e6, 1e6), a.has("targets") ? targets(a.get("targets")) : null);
        TrainSpec spec = TrainSpec.of(modelPath, a.getInt("executor-threads", 0, 0, 1024), adapter, a.getInt("seq", 256, 1, 1 << 16), a.has("checkpointing"));
        TenantTraining training = new TenantTraining(spec, a.getInt("steps", 100, 1, Integer.MAX_VALUE),
                a.has("epochs") ? a.getDouble("epochs", 1, 1e-9, 1e6) : 0, a.getInt("batch", 8, 1, 1 << 16), a.getInt("accum", 1, 1, 1 << 16),
                a.getDouble("lr-b", lr, 0, 10), a.getDouble("lr-d", lr, 0, 10), kind, a.getInt("warmup", 0, 0, Integer.MAX_VALUE),
                a.getDouble("beta1", 0.9, 0, 0.999999), a.getDouble("beta2", 0.999, 0, 0.9999999), a.getDouble("adam-eps", 1e-8, 1e-30, 1),
                a.getDouble("weight-decay", 0, 0, 10), a.getDouble("clip", 1.0, 0, 1e9), chatTemplate(a.get("chat-template")));
        try (SparkSessions.Handle h = SparkSessions.open(a.get("master"))) {
            int partitions = a.getInt("partitions", h.session().sparkContext().defaultParallelism(), 1, 1 << 20);
            Dataset<Row> rows = SparkIo.read(h.session(), data, "--data");
            long t0 = System.nanoTime();
            List<Row> summary = SparkIo.reported(() -> ManyAdapters.train(rows, key, training, output, partitions).collectAsList());
            double seconds = (System.nanoTime() - t0) / 1e9;
            out.printf(Locale.ROOT, "%-24s %8s %10s  %s%n", "key", "examples", "final_loss", "file");
            for (Row r : summary) out.printf(Locale.ROOT, "%-24s %8d %10.4f  %s%n", r.getString(0), r.getInt(1), r.getDouble(2), r.getString(3));
            out.printf(Locale.ROOT, "trained %d adapters in %.1f s (%.1f adapters per minute)%n", summary.size(), seconds, summary.size() * 60 / seconds);
            if (a.has("summary")) writeSummary(Path.of(a.get("summary")), summary);
            return 0;
        }
    }

    /** The summary as JSON lines (temp + rename). */
    private static void writeSummary(Path path, List<Row> summary) {
        StringBuilder sb = new StringBuilder();
        for (Row r : summary) {
            sb.append(dev.vera4j.engine.json.Json.write(new java.util.LinkedHashMap<String, Object>(java.util.Map.of(
                    "key", r.getString(0), "examples", (long) r.getInt(1), "final_loss", r.getDouble(2), "file", r.getString(3))))).append('\n');
        }
        try {
            Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
            Files.writeString(tmp, sb);
            Files.move(tmp, path, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + path + ": " + e.getMessage(), e);
        }
    }

    private static String chatTemplate(String flag) {
        if (flag == null || dev.vera4j.engine.template.ChatTemplate.names().contains(flag)) return flag;
        try {
            return Files.readString(Path.of(flag));
        } catch (IOException e) {
            throw new UsageException("--chat-template: neither a known name " + dev.vera4j.engine.template.ChatTemplate.names() + " nor a readable file: " + flag);
        }
    }

    private static EnumSet<VeraTarget> targets(String s) {
        EnumSet<VeraTarget> t = EnumSet.noneOf(VeraTarget.class);
        for (String part : s.split(",")) {
            try {
                t.add(VeraTarget.parse(part.strip()));
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }
        return t;
    }

    private static void help(PrintStream out) {
        out.println("usage: vera4j-spark train-many " + new SparkTrainManyCommand().usage());
        out.println();
        out.println("Trains one adapter per value of --key-column, each in one Spark task on that key's rows (in input order) as");
        out.println("`vera4j train` trains on them alone, and writes OUTPUT/KEY.gguf (any Hadoop file system; characters other than");
        out.println("letters, digits, '.', '_' and '-' in a key become '_'): a folder `vera4j serve --adapters` serves directly.");
        out.println("Prints a summary table (key, examples, final_loss: mean loss over the key's examples after training, file);");
        out.println("--summary FILE also writes it as JSON lines.");
        out.println("  --data FILE|DIR   JSON lines (.jsonl/.json) or Parquet (.parquet): besides the key, each row is one example:");
        out.println("                    text, prompt + completion, or messages (as in a vera4j train .jsonl file)");
        out.println("  --partitions N    tasks to spread the keys over (default: Spark's default parallelism)");
        out.println("Training flags as `vera4j train` (same defaults); --steps or --epochs apply to each key.");
        out.println();
        out.println("examples:");
        out.println("  vera4j-spark train-many --master local[2] -m stories260K.gguf --data tenants.jsonl --key-column tenant \\");
        out.println("      --output adapters --rank 64 --targets q,v --steps 50 --summary summary.jsonl");
        out.println("  vera4j serve -m stories260K.gguf --adapters adapters");
    }
}
