package dev.vera4j.engine.api;

import dev.vera4j.engine.sample.SamplerSettings;

import java.util.Arrays;
import java.util.List;

/**
 * What to generate: how many tokens, how to sample, when to stop. Build with {@link #builder()}.
 *
 * <pre>{@code
 * GenerateOptions o = GenerateOptions.builder().maxTokens(64).temperature(0.7f).topP(0.9f).seed(42)
 *         .stopStrings("\n\n").build();
 * }</pre>
 *
 * @param maxTokens             most tokens to sample
 * @param stopStrings           generation ends when the text contains one of these (not included in the text)
 * @param stopTokens            generation ends after one of these ids
 * @param stopAtEndOfGeneration whether the model's EOS/EOT ids end generation
 */
public record GenerateOptions(int maxTokens, SamplerSettings sampler, List<String> stopStrings, int[] stopTokens,
                              boolean stopAtEndOfGeneration) {
    public GenerateOptions {
        if (maxTokens < 0) throw new IllegalArgumentException("maxTokens must be >= 0, got " + maxTokens);
        if (sampler == null) throw new IllegalArgumentException("sampler settings are null");
        stopStrings = List.copyOf(stopStrings);
        for (String s : stopStrings) if (s.isEmpty()) throw new IllegalArgumentException("stop strings must not be empty");
        stopTokens = stopTokens.clone();
    }

    /** Whether {@code id} is one of the stop tokens. */
    public boolean isStopToken(int id) {
        for (int t : stopTokens) if (t == id) return true;
        return false;
    }

    @Override
    public int[] stopTokens() { return stopTokens.clone(); }

    public static Builder builder() { return new Builder(); }

    /** Greedy decoding of up to {@code maxTokens} tokens. */
    public static GenerateOptions greedy(int maxTokens) { return builder().maxTokens(maxTokens).temperature(0).build(); }

    /** A mutable builder; defaults are llama.cpp's (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, no penalties). */
    public static final class Builder {
        private int maxTokens = 128;
        private float temperature = 0.8f, topP = 0.95f, minP = 0.05f, repeatPenalty = 1f, presencePenalty = 0f, frequencyPenalty = 0f;
        private int topK = 40, penaltyLastN = 64;
        private long seed = System.nanoTime();
        private List<String> stopStrings = List.of();
        private int[] stopTokens = new int[0];
        private boolean stopAtEndOfGeneration = true;

        public Builder maxTokens(int n) { maxTokens = n; return this; }
        /** 0 means greedy. */
        public Builder temperature(float t) { temperature = t; return this; }
        public Builder topK(int k) { topK = k; return this; }
        public Builder topP(float p) { topP = p; return this; }
        public Builder minP(float p) { minP = p; return this; }
        public Builder repeatPenalty(float p) { repeatPenalty = p; return this; }
        public Builder presencePenalty(float p) { presencePenalty = p; return this; }
        public Builder frequencyPenalty(float p) { frequencyPenalty = p; return this; }
        public Builder penaltyLastN(int n) { penaltyLastN = n; return this; }
        /** Fixes the random seed (by default it varies from run to run). */
        public Builder seed(long s) { seed = s; return this; }
        public Builder stopStrings(String... s) { stopStrings = List.of(s); return this; }
        public Builder stopStrings(List<String> s) { stopStrings = List.copyOf(s); return this; }
        public Builder stopTokens(int... ids) { stopTokens = ids.clone(); return this; }
        /** Keeps generating after EOS/EOT (for benchmarks). */
        public Builder ignoreEndOfGeneration() { stopAtEndOfGeneration = false; return this; }

        public GenerateOptions build() {
            return new GenerateOptions(maxTokens, new SamplerSettings(temperature, topK, topP, minP, repeatPenalty,
                    presencePenalty, frequencyPenalty, penaltyLastN, seed), stopStrings, stopTokens, stopAtEndOfGeneration);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GenerateOptions g && maxTokens == g.maxTokens && sampler.equals(g.sampler)
                && stopStrings.equals(g.stopStrings) && Arrays.equals(stopTokens, g.stopTokens)
                && stopAtEndOfGeneration == g.stopAtEndOfGeneration;
    }

    @Override
    public int hashCode() { return java.util.Objects.hash(maxTokens, sampler, stopStrings, Arrays.hashCode(stopTokens), stopAtEndOfGeneration); }

    @Override
    public String toString() {
        return "GenerateOptions[maxTokens=" + maxTokens + ", " + sampler + ", stopStrings=" + stopStrings
                + ", stopTokens=" + Arrays.toString(stopTokens) + ", stopAtEndOfGeneration=" + stopAtEndOfGeneration + "]";
    }
}
