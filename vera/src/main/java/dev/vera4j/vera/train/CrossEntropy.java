package dev.vera4j.vera.train;

/**
 * Next-token cross-entropy over a sequence's logits, in double precision, optionally turning the logits into their
 * gradient in place.
 *
 * <pre>{@code
 * double sum = CrossEntropy.sum(logits, tokens, n, mask, vocab, false, 0f);        // loss only
 * double sum = CrossEntropy.sum(logits, tokens, n, mask, vocab, true, 1f / count); // logits := ∂(sum/count)/∂logits
 * }</pre>
 */
public final class CrossEntropy {
    private CrossEntropy() {}

    /**
     * {@code Σ_t mask[t] · (logsumexp(logits_t) − logits_t[tokens[t+1]])}. With {@code grad} each row
     * becomes {@code gradScale · (softmax − onehot)} (zero where masked off).
     */
    public static double sum(float[] logits, int[] tokens, int n, boolean[] mask, int vocab, boolean grad, float gradScale) {
        double total = 0;
        for (int t = 0; t < n; t++) {
            int o = t * vocab;
            if (!mask[t]) {
                if (grad) java.util.Arrays.fill(logits, o, o + vocab, 0f);
                continue;
            }
            int target = tokens[t + 1];
            if (target < 0 || target >= vocab) throw new IllegalArgumentException("target token " + target + " is outside the vocabulary");
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < vocab; i++) max = Math.max(max, logits[o + i]);
            double s = 0;
            for (int i = 0; i < vocab; i++) s += Math.exp(logits[o + i] - max);
            double lse = max + Math.log(s);
            total += lse - logits[o + target];
            if (grad) {
                for (int i = 0; i < vocab; i++) logits[o + i] = (float) (gradScale * Math.exp(logits[o + i] - lse));
                logits[o + target] -= gradScale;
            }
        }
        return total;
    }
}
