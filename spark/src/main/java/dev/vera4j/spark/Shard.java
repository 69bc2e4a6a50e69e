package dev.vera4j.spark;

import dev.vera4j.vera.train.Example;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * One task's part of a step: its examples (token ids and loss masks), the λ values of the step, the gradient scale
 * (one over the whole batch's target count), and whether gradients are wanted or only the loss (evaluation).
 *
 * <pre>{@code
 * Shard s = Shard.of(spec, LambdaVector.values(params), batch.subList(0, 4), 1f / targets, true);
 * }</pre>
 */
public record Shard(TrainSpec spec, float[] lambdas, int[][] tokens, boolean[][] masks, float scale, boolean gradients)
        implements Serializable {
    public static Shard of(TrainSpec spec, float[] lambdas, List<Example> examples, float scale, boolean gradients) {
        int[][] t = new int[examples.size()][];
        boolean[][] m = new boolean[examples.size()][];
        for (int i = 0; i < t.length; i++) {
            t[i] = examples.get(i).tokens();
            m[i] = examples.get(i).mask();
        }
        return new Shard(spec, lambdas, t, m, scale, gradients);
    }

    /** The examples back. */
    public List<Example> examples() {
        List<Example> out = new ArrayList<>(tokens.length);
        for (int i = 0; i < tokens.length; i++) out.add(new Example(tokens[i], masks[i]));
        return out;
    }
}
