package dev.vera4j.engine.backend.cpu;

import dev.vera4j.engine.model.Experts;
import dev.vera4j.simd.Exp;
import dev.vera4j.simd.Softmax;

/**
 * The router's decision for the tokens of a step: the softmax of each token's router logits, its {@code used} most
 * probable experts (ties to the lower index) in descending order, their weights (renormalized to sum 1 when the model
 * says so), and the same choices grouped by expert, so that each expert multiplies all its tokens in one product.
 *
 * <p>Slot {@code t·used + j} is token {@code t}'s {@code j}-th choice; the recorder's expert points and training's
 * backward pass use this order. Reusable for every layer and step; {@link #route} allocates nothing.
 *
 * <pre>{@code
 * ExpertChoice choice = new ExpertChoice(config.experts(), maxTokens);
 * choice.route(routerLogits, n);
 * for (int e = 0; e < experts; e++)
 *     for (int i = choice.groupStart(e); i < choice.groupEnd(e); i++) { int slot = choice.grouped(i); ... }
 * }</pre>
 */
public final class ExpertChoice {
    private final Experts experts;
    private final float[] probs, weight;
    private final int[] expert, grouped, start;
    private int tokens;

    public ExpertChoice(Experts experts, int maxTokens) {
        this.experts = experts;
        probs = new float[maxTokens * experts.count()];
        weight = new float[maxTokens * experts.used()];
        expert = new int[maxTokens * experts.used()];
        grouped = new int[maxTokens * experts.used()];
        start = new int[experts.count() + 1];
    }

    /** Chooses the experts of {@code n} tokens from their router logits ({@code n × count}, left unchanged). */
    public void route(float[] logits, int n) {
        int count = experts.count(), used = experts.used();
        tokens = n;
        System.arraycopy(logits, 0, probs, 0, n * count);
        for (int t = 0; t < n; t++) {
            int p = t * count, s0 = t * used;
            Softmax.softmax(probs, p, count);
            float sum = 0;
            for (int j = 0; j < used; j++) {
                int best = -1;
                for (int e = 0; e < count; e++) {
                    if ((best < 0 || probs[p + e] > probs[p + best]) && !taken(s0, j, e)) best = e;
                }
                expert[s0 + j] = best;
                weight[s0 + j] = probs[p + best];
                sum += probs[p + best];
            }
            if (experts.normalizeWeights()) for (int j = 0; j < used; j++) weight[s0 + j] /= sum;
        }
        // counting sort of the slots by expert, tokens in order within each expert
        java.util.Arrays.fill(start, 0);
        for (int s = 0; s < n * used; s++) start[expert[s] + 1]++;
        for (int e = 0; e < count; e++) start[e + 1] += start[e];
        for (int s = 0; s < n * used; s++) grouped[start[expert[s]]++] = s;
        for (int e = count; e > 0; e--) start[e] = start[e - 1];
        start[0] = 0;
    }

    /**
     * The shared expert's gate {@code σ(x)}, with {@link Exp}'s {@code e^x}: the same bits in every JIT tier (the
     * forward pass and training's backward pass both use it).
     */
    public static float sigmoid(float x) { return 1f / (1f + Exp.expReference(-x)); }

    private boolean taken(int s0, int j, int e) {
        for (int i = 0; i < j; i++) if (expert[s0 + i] == e) return true;
        return false;
    }

    /** Tokens of the last {@link #route}. */
    public int tokens() { return tokens; }

    /** Experts per token. */
    public int used() { return experts.used(); }

    /** The expert of slot {@code slot} ({@code t·used + j}). */
    public int expert(int slot) { return expert[slot]; }

    /** The weight its output gets. */
    public float weight(int slot) { return weight[slot]; }

    /** The router's softmax probability of expert {@code e} for token {@code t}. */
    public float probability(int t, int e) { return probs[t * experts.count() + e]; }

    /** The first index into {@link #grouped} of expert {@code e}'s slots. */
    public int groupStart(int e) { return start[e]; }

    /** One past the last index into {@link #grouped} of expert {@code e}'s slots. */
    public int groupEnd(int e) { return start[e + 1]; }

    /** The {@code i}-th slot in expert order (tokens ascending within an expert). */
    public int grouped(int i) { return grouped[i]; }
}
