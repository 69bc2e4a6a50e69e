package dev.vera4j.engine.batch;

import dev.vera4j.engine.api.Continuation;
import dev.vera4j.engine.api.GenerateOptions;
import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.api.ModelAdapter;
import dev.vera4j.engine.api.Session;
import dev.vera4j.engine.kv.KvType;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A greedy generation of one request by a {@link Session} of its own (the prompt fed in the scheduler's chunks), with
 * the logits each token was picked from: what a batched run of the same request must agree with, up to the products'
 * rounding.
 *
 * <pre>{@code
 * GreedyReference ref = GreedyReference.of(model, prompt, GenerateOptions.greedy(40), adapter, KvType.F32, 8);
 * ref.assertAgrees(events, 2e-4f, "request 3");   // events: the batched run's TokenEvents, with logprobs
 * }</pre>
 */
record GreedyReference(int[] tokens, float[][] logits) {
    static GreedyReference of(Model model, int[] prompt, GenerateOptions options, ModelAdapter adapter, KvType kv, int chunk) {
        Session s = model.newSession(Math.min(1024, model.config().contextLength()), kv, chunk);
        if (adapter != null) s.addHook(adapter.newHook(model.path(), chunk));
        Continuation c = new Continuation(model, options, prompt, prompt.length);
        List<float[]> steps = new ArrayList<>();
        float[] logits = s.ingest(prompt);
        while (!c.done()) {
            steps.add(logits.clone());
            int id = c.next(logits, 0, s.position() < s.contextLength());
            if (!c.done()) logits = s.ingest(new int[] {id});
        }
        return new GreedyReference(c.tokens(), steps.toArray(float[][]::new));
    }

    /**
     * Asserts that a batched run's tokens ({@code events}, with their log-probabilities and top alternatives) agree
     * with this run when every logit may differ by {@code tolerance}: each reported log-probability lies within
     * {@code 2·tolerance} of this run's (the logit and the log-sum-exp each move by at most {@code tolerance}); the
     * tokens are the same until one that this run picked by a margin of at most {@code 2·tolerance} over the batched
     * run's pick, after which the two continue from different tokens and are not compared; and without such a near tie
     * both runs have the same length.
     *
     * @return the tokens compared
     */
    int assertAgrees(List<TokenEvent> events, float tolerance, String what) {
        int step = 0;
        for (TokenEvent e : events) {
            if (e.id() < 0) continue;   // text held back until the end
            assertTrue(step < tokens.length, what + ": more tokens than the reference's " + tokens.length);
            float[] l = logits[step];
            double lse = Logprobs.logSumExp(l, l.length);
            assertNotNull(e.logprob(), what + ": the batched run must report logprobs");
            for (TokenLogprob t : concat(e.logprob(), e.top())) {
                assertEquals(l[t.id()] - lse, t.logprob(), 2 * tolerance, what + ", token " + step + ": log-probability of id " + t.id());
            }
            int expected = tokens[step];
            if (e.id() != expected) {
                float margin = l[expected] - l[e.id()];
                assertTrue(margin <= 2 * tolerance, what + ", token " + step + ": " + e.id() + " instead of " + expected
                        + ", which leads by " + margin + " > 2 x " + tolerance);
                return step + 1;
            }
            step++;
        }
        assertEquals(tokens.length, step, what + ": tokens generated");
        return step;
    }

    private static List<TokenLogprob> concat(TokenLogprob first, List<TokenLogprob> rest) {
        List<TokenLogprob> all = new ArrayList<>(rest);
        all.add(first);
        return all;
    }
}
