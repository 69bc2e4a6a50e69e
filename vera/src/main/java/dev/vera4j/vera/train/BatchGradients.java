package dev.vera4j.vera.train;

import java.util.List;

/**
 * What one optimizer step needs from the model: the λ gradients of a batch of examples, summed into the trained
 * {@link TrainableLambdas}' gradients, and losses without gradients for evaluation. {@link Backward} computes them in
 * this process; a distributed implementation (the {@code spark} module) splits the batch into shards, computes each
 * shard's sum elsewhere and adds the shards' sums here, so {@link Trainer}'s loop, clipping, schedule and
 * {@link AdamW} step stay the same code.
 *
 * <pre>{@code
 * params.zeroGrad();
 * double lossSum = gradients.accumulate(batch, 1f / targetCount);   // params now hold the batch's mean-loss gradients
 * }</pre>
 */
public interface BatchGradients {
    /** The longest example (in positions) this can take. */
    int maxSeq();

    /**
     * Adds {@code scale · ∂loss/∂λ} of every example to the trained λ's gradients, at the λ values they have now.
     *
     * @return the summed (unscaled) loss of the examples' masked targets
     */
    double accumulate(List<Example> examples, float scale);

    /** The summed loss of the examples' masked targets, without gradients. */
    double loss(List<Example> examples);
}
