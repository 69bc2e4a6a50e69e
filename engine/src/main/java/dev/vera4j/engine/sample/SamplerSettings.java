package dev.vera4j.engine.sample;

/**
 * How a {@link Sampler} picks the next token; the defaults are llama.cpp's.
 *
 * <pre>{@code
 * var greedy = SamplerSettings.GREEDY;
 * var creative = new SamplerSettings(0.8f, 40, 0.95f, 0.05f, 1.1f, 0f, 0f, 64, 42L);
 * }</pre>
 *
 * @param temperature      0 (or less) picks the most likely token; otherwise divides the logits before sampling
 * @param topK             keep the {@code topK} most likely tokens (0 = all)
 * @param topP             keep the most likely tokens whose probabilities sum to at least {@code topP} (1 = all)
 * @param minP             drop tokens less likely than {@code minP} times the most likely one (0 = none)
 * @param repeatPenalty    divides positive (multiplies negative) logits of tokens in the window (1 = off)
 * @param presencePenalty  subtracted from the logit of every token in the window (0 = off)
 * @param frequencyPenalty subtracted once per occurrence in the window (0 = off)
 * @param penaltyLastN     the window: how many of the latest tokens the penalties look at (0 = none)
 * @param seed             seed of the random generator: equal seeds give equal samples
 */
public record SamplerSettings(float temperature, int topK, float topP, float minP, float repeatPenalty,
                              float presencePenalty, float frequencyPenalty, int penaltyLastN, long seed) {
    /** Always the most likely token, no penalties. */
    public static final SamplerSettings GREEDY = new SamplerSettings(0f, 40, 0.95f, 0.05f, 1f, 0f, 0f, 64, 0L);

    public SamplerSettings {
        if (Float.isNaN(temperature)) throw new IllegalArgumentException("temperature is NaN");
        if (topK < 0) throw new IllegalArgumentException("top-k must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        if (!(minP >= 0 && minP <= 1)) throw new IllegalArgumentException("min-p must be in [0, 1], got " + minP);
        if (!(repeatPenalty > 0)) throw new IllegalArgumentException("repeat penalty must be > 0, got " + repeatPenalty);
        if (!Float.isFinite(presencePenalty) || !Float.isFinite(frequencyPenalty)) throw new IllegalArgumentException("penalties must be finite");
        if (penaltyLastN < 0) throw new IllegalArgumentException("penalty window must be >= 0, got " + penaltyLastN);
    }

    /** Whether sampling is deterministic argmax. */
    public boolean greedy() { return temperature <= 0; }

    /** These settings with another seed. */
    public SamplerSettings withSeed(long newSeed) {
        return new SamplerSettings(temperature, topK, topP, minP, repeatPenalty, presencePenalty, frequencyPenalty, penaltyLastN, newSeed);
    }
}
