package dev.vera4j.engine.batch;

import dev.vera4j.engine.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Log-probabilities of the model's distribution at one position: log-softmax of the raw logits, for the chosen token
 * and the most likely alternatives.
 *
 * <pre>{@code
 * Logprobs lp = new Logprobs(tokenizer);
 * TokenLogprob chosen = lp.of(logits, vocab, id);
 * List<TokenLogprob> top = lp.top(logits, vocab, 5);
 * }</pre>
 */
final class Logprobs {
    private final Tokenizer tokenizer;

    Logprobs(Tokenizer tokenizer) { this.tokenizer = tokenizer; }

    /** log Σ exp(logits[i]) over the vocabulary, computed stably in double. */
    static double logSumExp(float[] logits, int vocab) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, logits[i]);
        double sum = 0;
        for (int i = 0; i < vocab; i++) sum += Math.exp(logits[i] - max);
        return max + Math.log(sum);
    }

    TokenLogprob of(float[] logits, double logSumExp, int id) { return entry(id, logits[id] - logSumExp); }

    /** The {@code n} most likely tokens, most likely first (ties: lower id first). */
    List<TokenLogprob> top(float[] logits, int vocab, double logSumExp, int n) {
        n = Math.min(n, vocab);
        int[] best = new int[n];
        int size = 0;
        for (int i = 0; i < vocab; i++) {
            if (size == n && logits[i] <= logits[best[size - 1]]) continue;
            int at = size < n ? size++ : size - 1;
            while (at > 0 && logits[best[at - 1]] < logits[i]) {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = i;
        }
        List<TokenLogprob> out = new ArrayList<>(size);
        for (int k = 0; k < size; k++) out.add(entry(best[k], logits[best[k]] - logSumExp));
        return out;
    }

    private TokenLogprob entry(int id, double logprob) {
        byte[] bytes = tokenizer.pieceBytes(id);
        return new TokenLogprob(id, new String(bytes, StandardCharsets.UTF_8), bytes, logprob);
    }
}
