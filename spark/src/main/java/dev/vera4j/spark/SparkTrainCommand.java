package dev.vera4j.spark;

import dev.vera4j.tools.Command;
import dev.vera4j.tools.TrainCommand;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.PrintStream;
import java.util.List;

/**
 * {@code vera4j-spark train}: {@code vera4j train} (the same flags, data, optimizer, schedules and checkpoints) with
 * each step's gradients computed by Spark tasks ({@link SparkGradients}); adds {@code --master URL},
 * {@code --partitions N} (shards per step, default 2) and {@code --executor-threads N} (threads of each executor's
 * model, default all of its processors).
 *
 * <pre>{@code
 * vera4j-spark train --master local[2] --partitions 2 -m stories260K.gguf --data pip.txt -o pip.vera.gguf --steps 200
 * }</pre>
 */
final class SparkTrainCommand implements Command {
    @Override public String name() { return "train"; }
    @Override public String summary() { return "train one VeRA adapter, each step's batch split over Spark tasks"; }
    @Override public String usage() { return "[--master URL] [--partitions N] [--executor-threads N] " + new TrainCommand().usage(); }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) {
        SparkFlags f = SparkFlags.take(argv, List.of("--master", "--partitions", "--executor-threads"));
        if (List.of(argv).contains("--help") || List.of(argv).contains("-h")) {
            new TrainCommand().run(new String[] {"--help"}, out, err);
            out.println();
            out.println("vera4j-spark train adds:");
            out.println("  --master URL          Spark master (local[N], spark://HOST:7077, yarn, ...; default spark-submit's or local[*])");
            out.println("  --partitions N        Spark tasks per step: each computes the gradients of 1/N of the batch (default 2)");
            out.println("  --executor-threads N  threads of each executor's model (default: the executor's processors)");
            out.println("The base model must exist at the same path on every executor (shared storage, or spark-submit --files).");
            out.println();
            out.println("examples:");
            out.println("  vera4j-spark train --master local[2] -m stories260K.gguf --data pip-stories.train.txt --valid pip-stories.valid.txt \\");
            out.println("      -o pip.vera.gguf --rank 64 --targets q,k,v,o,gate,up,down --batch 8 --steps 200");
            out.println("  spark-submit --class dev.vera4j.spark.SparkCli vera4j-spark.jar train --partitions 16 -m /shared/base.gguf --data chats.jsonl -o a.gguf");
            return 0;
        }
        int partitions = f.args().getInt("partitions", 2, 1, 1 << 16);
        int executorThreads = f.args().getInt("executor-threads", 0, 0, 1024);
        try (SparkSessions.Handle h = SparkSessions.open(f.args().get("master"))) {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(h.session().sparkContext());
            TrainCommand train = new TrainCommand((local, params, setup) -> new SparkGradients(sc, params,
                    TrainSpec.of(setup.model().toAbsolutePath().toString(), executorThreads, setup.adapter(), setup.seq(), setup.checkpointing()),
                    partitions));
            return train.run(f.rest(), out, err);
        }
    }
}
