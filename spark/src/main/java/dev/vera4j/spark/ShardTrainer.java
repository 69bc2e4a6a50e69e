package dev.vera4j.spark;

import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.train.Backward;
import dev.vera4j.vera.train.TrainableLambdas;

import java.nio.file.Path;

/**
 * The executor's side of a data-parallel step: a {@link Backward} over the executor's model and λ's shaped as the
 * driver's, kept with the model between steps ({@link ExecutorModels.Loaded#cached}); each shard sets the λ's to the
 * step's values and runs the same {@link Backward#accumulate} as single-process training.
 *
 * <pre>{@code
 * ShardResult r = ShardTrainer.run(shard);   // inside a Spark task
 * }</pre>
 */
public final class ShardTrainer {
    private final TrainableLambdas params;
    private final Backward backward;

    private ShardTrainer(ExecutorModels.Loaded loaded, TrainSpec spec) {
        BaseFingerprint fp = BaseFingerprint.of(Path.of(spec.model()));
        params = TrainableLambdas.of(TrainableLambdas.freshAdapter(fp, spec.adapter()), fp);
        backward = new Backward((CpuBackend) loaded.model().backend(), params, spec.seq(), spec.checkpointing());
    }

    /** Computes one shard on this JVM's model of {@code shard.spec()}. */
    public static ShardResult run(Shard shard) {
        TrainSpec spec = shard.spec();
        return ExecutorModels.use(spec.modelKey(), loaded -> {
            ShardTrainer t = loaded.cached(spec, () -> new ShardTrainer(loaded, spec));
            LambdaVector.setValues(t.params, shard.lambdas());
            if (!shard.gradients()) return new ShardResult(new float[0], t.backward.loss(shard.examples()));
            t.params.zeroGrad();
            double loss = t.backward.accumulate(shard.examples(), shard.scale());
            return new ShardResult(LambdaVector.gradients(t.params), loss);
        });
    }
}
