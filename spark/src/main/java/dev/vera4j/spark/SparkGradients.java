package dev.vera4j.spark;

import dev.vera4j.vera.train.BatchGradients;
import dev.vera4j.vera.train.Example;
import dev.vera4j.vera.train.TrainableLambdas;
import org.apache.spark.api.java.JavaSparkContext;

import java.util.ArrayList;
import java.util.List;

/**
 * Data-parallel {@link BatchGradients}: each step's batch is cut into up to {@code partitions} contiguous shards, one
 * Spark task each; a task sets its executor's λ's to the step's values, sums its shard's gradients
 * ({@link ShardTrainer}), and {@code treeReduce} adds the shards' sums, which land in the driver's λ gradients for
 * {@link dev.vera4j.vera.train.Trainer} to clip and step with AdamW as in one process. Evaluation is split the same
 * way. Per step the driver ships the λ values and the shard's token ids to each task and gets one gradient vector
 * back: kilobytes.
 *
 * <p>The result equals single-process training up to the order of float additions: one shard gives the same bits;
 * with more, the shards' sums are added to each other instead of one example after another.
 *
 * <pre>{@code
 * int code = new TrainCommand((local, params, setup) -> new SparkGradients(jsc, params, TrainSpec.of(...), 4)).run(argv, out, err);
 * }</pre>
 */
public final class SparkGradients implements BatchGradients {
    private final JavaSparkContext sc;
    private final TrainableLambdas params;
    private final TrainSpec spec;
    private final int partitions;

    /**
     * @param params     the driver's λ's (read each step; the gradients are added to theirs)
     * @param partitions shards per step (at most one per example)
     */
    public SparkGradients(JavaSparkContext sc, TrainableLambdas params, TrainSpec spec, int partitions) {
        if (partitions < 1) throw new IllegalArgumentException("partitions must be positive, got " + partitions);
        this.sc = sc;
        this.params = params;
        this.spec = spec;
        this.partitions = partitions;
    }

    @Override
    public int maxSeq() { return spec.seq(); }

    @Override
    public double accumulate(List<Example> examples, float scale) {
        ShardResult r = reduce(examples, scale, true);
        LambdaVector.addGradients(params, r.gradients());
        return r.loss();
    }

    @Override
    public double loss(List<Example> examples) {
        return reduce(examples, 0f, false).loss();
    }

    private ShardResult reduce(List<Example> examples, float scale, boolean gradients) {
        float[] lambdas = LambdaVector.values(params);
        int n = Math.min(partitions, examples.size());
        List<Shard> shards = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            List<Example> part = examples.subList((int) ((long) examples.size() * i / n), (int) ((long) examples.size() * (i + 1) / n));
            shards.add(Shard.of(spec, lambdas, part, scale, gradients));
        }
        return sc.parallelize(shards, n).map(ShardTrainer::run).treeReduce(ShardResult::plus);
    }
}
