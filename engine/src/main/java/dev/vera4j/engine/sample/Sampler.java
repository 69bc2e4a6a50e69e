package dev.vera4j.engine.sample;

import java.util.SplittableRandom;

/**
 * Picks tokens from logits through llama.cpp's chain: penalties over the last-N window, then greedy argmax, or top-k →
 * top-p → min-p → temperature → a draw from a seeded generator. All buffers are allocated once; sampling allocates
 * nothing. Not thread-safe.
 *
 * <pre>{@code
 * Sampler s = new Sampler(settings, vocab);
 * s.accept(promptIds);                // the prompt counts for the penalties
 * int next = s.sample(logits, 0);
 * s.accept(next);
 * }</pre>
 */
public final class Sampler {
    private final SamplerSettings settings;
    private final int vocab;
    private final SplittableRandom random;
    private final int[] ids;
    private final float[] values;
    private final int[] window;
    private final int[] counts;
    private int windowLength;
    private int windowStart;

    public Sampler(SamplerSettings settings, int vocab) {
        if (vocab < 1) throw new IllegalArgumentException("vocabulary size must be positive");
        this.settings = settings;
        this.vocab = vocab;
        this.random = new SplittableRandom(settings.seed());
        this.ids = new int[vocab];
        this.values = new float[vocab];
        this.window = new int[settings.penaltyLastN()];
        this.counts = new int[vocab];
    }

    public SamplerSettings settings() { return settings; }

    /** Adds tokens to the penalty window (the prompt, and each sampled token). */
    public void accept(int... tokens) {
        for (int t : tokens) accept(t);
    }

    /** Adds one token to the penalty window. */
    public void accept(int token) {
        if (token < 0 || token >= vocab) throw new IllegalArgumentException("token " + token + " outside the vocabulary");
        if (window.length == 0) return;
        if (windowLength == window.length) {
            counts[window[windowStart]]--;
            window[windowStart] = token;
            windowStart = (windowStart + 1) % window.length;
        } else {
            window[(windowStart + windowLength++) % window.length] = token;
        }
        counts[token]++;
    }

    /** Forgets the penalty window. */
    public void reset() {
        for (int i = 0; i < windowLength; i++) counts[window[(windowStart + i) % window.length]] = 0;
        windowLength = 0;
        windowStart = 0;
    }

    /** Picks the next token from {@code logits[off .. off+vocab)}, which are left unchanged. */
    public int sample(float[] logits, int off) {
        System.arraycopy(logits, off, values, 0, vocab);
        for (int i = 0; i < vocab; i++) ids[i] = i;
        applyPenalties();
        if (settings.greedy()) return argmax();
        int n = vocab;
        if (settings.topK() > 0 && settings.topK() < n) {
            selectTop(settings.topK());
            n = settings.topK();
        }
        sortDescending(0, n - 1);
        n = truncate(n);
        return draw(n);
    }

    /** Applies repetition, presence and frequency penalties to each distinct token in the window once. */
    private void applyPenalties() {
        SamplerSettings s = settings;
        if (windowLength == 0 || (s.repeatPenalty() == 1f && s.presencePenalty() == 0f && s.frequencyPenalty() == 0f)) return;
        for (int i = 0; i < windowLength; i++) {
            int t = window[(windowStart + i) % window.length];
            int c = counts[t];
            if (c <= 0) continue;
            float v = values[t];
            v = v > 0 ? v / s.repeatPenalty() : v * s.repeatPenalty();
            values[t] = v - c * s.frequencyPenalty() - s.presencePenalty();
            counts[t] = -c;   // marks the token as done; restored below
        }
        for (int i = 0; i < windowLength; i++) {
            int t = window[(windowStart + i) % window.length];
            if (counts[t] < 0) counts[t] = -counts[t];
        }
    }

    private int argmax() {
        int best = 0;
        for (int i = 1; i < vocab; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    /** Moves the {@code k} largest values to the front (in any order), by quickselect. */
    private void selectTop(int k) {
        int lo = 0, hi = vocab - 1;
        while (lo < hi) {
            int p = partition(lo, hi);
            if (p == k - 1) return;
            if (p < k - 1) lo = p + 1;
            else hi = p - 1;
        }
    }

    /** Partitions {@code [lo, hi]} around a median-of-three pivot so that larger values come first; returns its index. */
    private int partition(int lo, int hi) {
        int mid = (lo + hi) >>> 1;
        if (values[mid] > values[lo]) swap(mid, lo);
        if (values[hi] > values[lo]) swap(hi, lo);
        if (values[mid] > values[hi]) swap(mid, hi);
        float pivot = values[hi];
        int store = lo;
        for (int i = lo; i < hi; i++) if (values[i] > pivot) swap(i, store++);
        swap(store, hi);
        return store;
    }

    private void sortDescending(int lo, int hi) {
        while (lo < hi) {
            if (hi - lo < 16) {
                for (int i = lo + 1; i <= hi; i++) for (int j = i; j > lo && values[j] > values[j - 1]; j--) swap(j, j - 1);
                return;
            }
            int p = partition(lo, hi);
            if (p - lo < hi - p) { sortDescending(lo, p - 1); lo = p + 1; }
            else { sortDescending(p + 1, hi); hi = p - 1; }
        }
    }

    private void swap(int a, int b) {
        float v = values[a]; values[a] = values[b]; values[b] = v;
        int i = ids[a]; ids[a] = ids[b]; ids[b] = i;
    }

    /** Applies top-p and min-p to the {@code n} sorted candidates (probabilities at temperature 1); returns how many stay. */
    private int truncate(int n) {
        float max = values[0];
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.exp(values[i] - max);
        int keep = n;
        if (settings.topP() < 1f) {
            double cumulative = 0;
            for (int i = 0; i < n; i++) {
                cumulative += Math.exp(values[i] - max) / sum;
                if (cumulative >= settings.topP()) { keep = i + 1; break; }
            }
        }
        if (settings.minP() > 0f) {
            double threshold = max + Math.log(settings.minP());
            int m = 1;
            while (m < keep && values[m] >= threshold) m++;
            keep = m;
        }
        return keep;
    }

    /** Draws from the softmax of the first {@code n} candidates at the temperature. */
    private int draw(int n) {
        float max = values[0], t = settings.temperature();
        double total = 0;
        for (int i = 0; i < n; i++) {
            float p = (float) Math.exp((values[i] - max) / t);
            values[i] = p;
            total += p;
        }
        double r = random.nextDouble() * total;
        for (int i = 0; i < n; i++) {
            r -= values[i];
            if (r < 0) return ids[i];
        }
        return ids[n - 1];
    }
}
