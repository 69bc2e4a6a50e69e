package dev.vera4j.engine.model;

/**
 * The mixture-of-experts feed-forward network of a model: a router ({@code ffn_gate_inp}) scores {@code count}
 * SwiGLU experts per token, the softmax of the scores weights the {@code used} best, and their outputs are summed
 * with those weights; a shared expert (Qwen2-MoE) runs for every token, scaled by {@code σ(w·x)}.
 *
 * <pre>{@code
 * new Experts(8, 2, 14336, true, 0)      // Mixtral: top-2 of 8, weights renormalized to sum 1
 * new Experts(60, 4, 1408, false, 5632)  // Qwen1.5-MoE-A2.7B: top-4 softmax weights as they are, plus a shared expert
 * new Experts(128, 8, 768, true, 0)      // Qwen3-30B-A3B
 * }</pre>
 *
 * @param count                   experts per layer ({@code expert_count})
 * @param used                    experts per token ({@code expert_used_count})
 * @param feedForwardLength       hidden width of one expert
 * @param normalizeWeights        the chosen experts' softmax weights are divided by their sum (Mixtral, Qwen3-MoE);
 *                                else used as they are (Qwen2-MoE)
 * @param sharedFeedForwardLength hidden width of the shared expert; 0: none
 */
public record Experts(int count, int used, int feedForwardLength, boolean normalizeWeights, int sharedFeedForwardLength) {
    public Experts {
        if (count < 1 || used < 1 || used > count) {
            throw new ModelConfigException("expert_used_count = " + used + " must be between 1 and expert_count = " + count);
        }
        if (feedForwardLength < 1 || sharedFeedForwardLength < 0) {
            throw new ModelConfigException("expert feed-forward lengths must be positive, got " + feedForwardLength + ", " + sharedFeedForwardLength);
        }
    }

    public boolean shared() { return sharedFeedForwardLength > 0; }

    public Experts withNormalizeWeights(boolean normalize) {
        return new Experts(count, used, feedForwardLength, normalize, sharedFeedForwardLength);
    }
}
