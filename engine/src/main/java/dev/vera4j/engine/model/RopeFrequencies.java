package dev.vera4j.engine.model;

import dev.vera4j.simd.Rope;

import java.lang.foreign.MemorySegment;

/**
 * Which RoPE a layer of a sequence takes, and its inverse frequencies: the one place that decides it, for the forward
 * pass and for training's backward pass.
 *
 * <ul>
 *   <li>{@link Kind#GLOBAL}: {@code base^(−2i/ropeDim)} times the linear factor, divided by {@code rope_freqs} (or
 *       Llama-3.1's rule, or LongRoPE's short factors);</li>
 *   <li>{@link Kind#GLOBAL_LONG}: the same with LongRoPE's long factors, for sequences whose cache holds more than the
 *       original context (llama.cpp chooses by context size the same way);</li>
 *   <li>{@link Kind#LOCAL}: the sliding layers of Gemma 3: their own base, no scaling.</li>
 * </ul>
 *
 * <pre>{@code
 * RopeFrequencies.Kind k = RopeFrequencies.kind(config, layer, cacheCapacity);
 * float[] inv = RopeFrequencies.inverse(config, weights, k);   // ropeDim/2 values
 * }</pre>
 */
public final class RopeFrequencies {
    public enum Kind { GLOBAL, GLOBAL_LONG, LOCAL }

    private RopeFrequencies() {}

    /** Whether a sequence whose cache holds {@code capacity} positions takes LongRoPE's long factors. */
    public static boolean longContext(ModelConfig c, int capacity) {
        return c.ropeScaling().type() == RopeScaling.Type.LONGROPE && capacity > c.ropeScaling().originalContext();
    }

    /** The RoPE of layer {@code layer} for a sequence whose cache holds {@code capacity} positions. */
    public static Kind kind(ModelConfig c, int layer, int capacity) {
        if (c.window().localRope(layer)) return Kind.LOCAL;
        return longContext(c, capacity) ? Kind.GLOBAL_LONG : Kind.GLOBAL;
    }

    /** The {@code ropeDim/2} inverse frequencies of {@code kind}. */
    public static float[] inverse(ModelConfig c, ModelWeights w, Kind kind) {
        if (kind == Kind.LOCAL) return Rope.inverseFrequencies(c.ropeDim(), c.window().localRopeBase(), 1f, null);
        float[] divisors = c.ropeScaling().llama3Divisors(c.ropeBase(), c.ropeDim());
        MemorySegment factors = w.ropeFreqs();
        if (c.ropeScaling().type() == RopeScaling.Type.LONGROPE) factors = kind == Kind.GLOBAL_LONG ? w.ropeFactorsLong() : w.ropeFactorsShort();
        if (factors != null) for (int i = 0; i < divisors.length; i++) divisors[i] = factors.getAtIndex(ModelWeights.F32, i);
        return Rope.inverseFrequencies(c.ropeDim(), c.ropeBase(), c.ropeFreqScale(), divisors);
    }
}
