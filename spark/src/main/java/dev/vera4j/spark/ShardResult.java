package dev.vera4j.spark;

import java.io.Serializable;

/**
 * What a task sends back: its examples' summed gradients (empty for evaluation) and summed loss. {@link #plus} is the
 * reduction the driver's {@code treeReduce} applies.
 *
 * <pre>{@code
 * ShardResult total = results.treeReduce(ShardResult::plus);
 * }</pre>
 */
public record ShardResult(float[] gradients, double loss) implements Serializable {
    /** The sum of two shards' results (a new object: Spark may reuse its inputs). */
    public ShardResult plus(ShardResult o) {
        float[] g = gradients.clone();
        for (int i = 0; i < g.length; i++) g[i] += o.gradients[i];
        return new ShardResult(g, loss + o.loss);
    }
}
