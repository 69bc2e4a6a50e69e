package dev.vera4j.spark;

import dev.vera4j.engine.api.GenerateOptions;

import java.io.Serializable;

/**
 * How {@link BatchGenerate} continues each prompt: the model (path on the executors, threads per executor model,
 * context positions) and the sampling settings of {@code vera4j generate}, with its defaults; {@code seed} null
 * samples unseeded. Every row with the same prompt and adapter gets what {@code vera4j generate} with these flags
 * prints.
 *
 * <pre>{@code
 * GenerateSpec greedy = GenerateSpec.defaults("/models/base.gguf").withTemperature(0).withMaxTokens(64);
 * }</pre>
 */
public record GenerateSpec(String model, int threads, int ctx, int maxTokens, float temperature, int topK, float topP,
                           float minP, float repeatPenalty, Long seed) implements Serializable {
    public GenerateSpec {
        if (ctx < 1 || maxTokens < 0 || !(temperature >= 0)) {
            throw new IllegalArgumentException("need ctx >= 1, -n >= 0 and --temp >= 0; got " + ctx + ", " + maxTokens + ", " + temperature);
        }
    }

    /** {@code vera4j generate}'s defaults: 128 tokens, temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, unseeded. */
    public static GenerateSpec defaults(String model) {
        return new GenerateSpec(model, 0, 4096, 128, 0.8f, 40, 0.95f, 0.05f, 1f, null);
    }

    public GenerateSpec withMaxTokens(int n) { return new GenerateSpec(model, threads, ctx, n, temperature, topK, topP, minP, repeatPenalty, seed); }

    public GenerateSpec withTemperature(float t) { return new GenerateSpec(model, threads, ctx, maxTokens, t, topK, topP, minP, repeatPenalty, seed); }

    public GenerateSpec withSeed(Long s) { return new GenerateSpec(model, threads, ctx, maxTokens, temperature, topK, topP, minP, repeatPenalty, s); }

    /** The engine's options for one row. */
    public GenerateOptions options() {
        GenerateOptions.Builder b = GenerateOptions.builder().maxTokens(maxTokens).temperature(temperature).topK(topK).topP(topP)
                .minP(minP).repeatPenalty(repeatPenalty);
        if (seed != null) b.seed(seed);
        return b.build();
    }

    /** The executor model: with decode copies, as {@code vera4j generate} loads it. */
    public ExecutorModels.Key modelKey() { return new ExecutorModels.Key(model, threads, true); }
}
