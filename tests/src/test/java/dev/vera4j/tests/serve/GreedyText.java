package dev.vera4j.tests.serve;

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
 * A greedy completion by a session of its own, as {@code vera4j generate} runs it: the text of each token and by how
 * much its logit led the runner-up's. A server's answer for the same request, computed in a batch with other requests,
 * must have the same text wherever those leads exceed the products' rounding.
 *
 * <pre>{@code
 * GreedyText ref = GreedyText.of(model, "Once upon a time", 24, VeraAdapters.load(adapterPath), KvType.F16, 128);
 * ref.assertAgrees(serverText, 1e-2f, "adapter-03");
 * }</pre>
 *
 * @param pieces the text each token added (the last one also what the decoder held back until the end)
 * @param leads  per token, its logit minus the next best one's
 */
record GreedyText(List<String> pieces, float[] leads) {
    /** A greedy run of {@code maxTokens} from {@code prompt} (with BOS), the prompt fed in chunks of {@code chunk}. */
    static GreedyText of(Model model, String prompt, int maxTokens, ModelAdapter adapter, KvType kv, int chunk) {
        Session s = model.newSession(Math.min(1024, model.config().contextLength()), kv, chunk);
        if (adapter != null) s.addHook(adapter.newHook(model.path(), chunk));
        int[] ids = model.tokenizer().encode(prompt, true, true);
        Continuation c = new Continuation(model, GenerateOptions.greedy(maxTokens), ids, ids.length);
        List<String> pieces = new ArrayList<>();
        float[] leads = new float[maxTokens];
        float[] logits = s.ingest(ids);
        while (!c.done()) {
            leads[pieces.size()] = lead(logits);
            int id = c.next(logits, 0, s.position() < s.contextLength());
            pieces.add(c.piece());
            if (!c.done()) logits = s.ingest(new int[] {id});
        }
        pieces.set(pieces.size() - 1, pieces.getLast() + c.flush());
        return new GreedyText(List.copyOf(pieces), java.util.Arrays.copyOf(leads, pieces.size()));
    }

    private static float lead(float[] logits) {
        float best = Float.NEGATIVE_INFINITY, second = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            if (v > best) {
                second = best;
                best = v;
            } else if (v > second) {
                second = v;
            }
        }
        return best - second;
    }

    String text() { return String.join("", pieces); }

    /**
     * Asserts that {@code observed} is this text, or that it departs from it at a token this run picked by a lead of at
     * most {@code 2·tolerance} (when every logit may differ by {@code tolerance}, a lead that small may turn): one of
     * the tokens whose text starts at or before the first differing character and ends at or after it.
     *
     * @return whether the texts are equal
     */
    boolean assertAgrees(String observed, float tolerance, String what) {
        String text = text();
        if (observed.equals(text)) return true;
        int c = 0;
        while (c < observed.length() && c < text.length() && observed.charAt(c) == text.charAt(c)) c++;
        float smallest = Float.POSITIVE_INFINITY;
        for (int t = 0, start = 0; t < pieces.size(); t++) {
            int end = start + pieces.get(t).length();
            if (start <= c && c <= end) smallest = Math.min(smallest, leads[t]);
            start = end;
        }
        assertTrue(smallest <= 2 * tolerance, what + ": the text departs from the reference at character " + c + " ("
                + quote(observed, c) + " instead of " + quote(text, c) + ") where the reference's token led by "
                + smallest + " > 2 x " + tolerance);
        return false;
    }

    private static String quote(String s, int at) { return "\"" + s.substring(at, Math.min(s.length(), at + 12)) + "\""; }
}
