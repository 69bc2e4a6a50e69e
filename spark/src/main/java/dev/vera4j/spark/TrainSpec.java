package dev.vera4j.spark;

import dev.vera4j.vera.VeraConfig;
import dev.vera4j.vera.VeraTarget;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

/**
 * What an executor needs to build a trainer equal to the driver's: the base model (path on the executor, threads),
 * the adapter's configuration (seed, rank, d_initial, targets, layers) and the trainer's sequence length and
 * checkpointing. Sent with every task; plain values only.
 *
 * <pre>{@code
 * TrainSpec spec = TrainSpec.of("/models/stories260K.gguf", 0, adapterConfig, 256, false);
 * }</pre>
 */
public record TrainSpec(String model, int threads, long seed, int rank, float dInitial, List<String> targets,
                        List<Integer> layers, boolean fusedMultiplyAdd, int seq, boolean checkpointing) implements Serializable {
    public TrainSpec {
        targets = List.copyOf(targets);
        layers = List.copyOf(layers);
    }

    /** The spec of a run training {@code adapter} on {@code model} with {@code threads} per executor model (0: all). */
    public static TrainSpec of(String model, int threads, VeraConfig adapter, int seq, boolean checkpointing) {
        List<String> t = new ArrayList<>();
        for (VeraTarget v : adapter.targets()) t.add(v.name());
        return new TrainSpec(model, threads, adapter.seed(), adapter.rank(), adapter.dInitial(), t, adapter.layers(),
                adapter.fusedMultiplyAdd(), seq, checkpointing);
    }

    /** The adapter configuration back. */
    public VeraConfig adapter() {
        EnumSet<VeraTarget> t = EnumSet.noneOf(VeraTarget.class);
        for (String s : targets) t.add(VeraTarget.valueOf(s));
        return new VeraConfig(seed, rank, dInitial, t, layers, fusedMultiplyAdd);
    }

    /** The executor model this trains on (no decode copies: training reads the mapped rows). */
    public ExecutorModels.Key modelKey() { return new ExecutorModels.Key(model, threads, false); }
}
