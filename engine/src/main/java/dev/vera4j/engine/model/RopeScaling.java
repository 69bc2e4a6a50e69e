package dev.vera4j.engine.model;

/**
 * Context-extension scaling of RoPE frequencies, from {@code <arch>.rope.scaling.*}.
 *
 * <p>{@link Type#LINEAR} divides positions by {@code factor}. {@link Type#LLAMA3} is Llama-3.1's per-frequency rule
 * (low frequencies divided by {@code factor}, high ones kept, a smooth ramp between); GGUF files usually carry its
 * result as the {@code rope_freqs.weight} tensor instead, which takes precedence. {@link Type#LONGROPE} is Phi-3's
 * (LongRoPE, "su"): per-frequency divisors stored as the {@code rope_factors_short} and {@code rope_factors_long}
 * tensors — the long ones for sequences whose cache holds more than {@code originalContext} positions, as llama.cpp
 * chooses by context size — and {@code attnFactor}, which multiplies the rotated dimensions of queries and keys
 * whichever factors are in use (not the pass-through ones of a partial rotation), as Hugging Face and llama.cpp do.
 *
 * <pre>{@code
 * RopeScaling.longRope(4096, 1.1902f)   // Phi-3-mini-128k
 * }</pre>
 */
public record RopeScaling(Type type, float factor, float lowFreqFactor, float highFreqFactor, int originalContext, float attnFactor) {
    public enum Type { NONE, LINEAR, LLAMA3, LONGROPE }

    public static final RopeScaling NONE = new RopeScaling(Type.NONE, 1f, 1f, 4f, 8192);

    public RopeScaling(Type type, float factor, float lowFreqFactor, float highFreqFactor, int originalContext) {
        this(type, factor, lowFreqFactor, highFreqFactor, originalContext, 1f);
    }

    /** Phi-3's LongRoPE: the long factors beyond {@code originalContext} positions, rotations scaled by {@code attnFactor}. */
    public static RopeScaling longRope(int originalContext, float attnFactor) {
        if (originalContext < 1 || !(attnFactor > 0)) {
            throw new ModelConfigException("LongRoPE needs a positive original context and attention factor, got " + originalContext + ", " + attnFactor);
        }
        return new RopeScaling(Type.LONGROPE, 1f, 1f, 4f, originalContext, attnFactor);
    }

    /**
     * The divisor of each of the {@code ropeDim/2} base frequencies {@code base^(-2i/ropeDim)} (1 for none/linear).
     * Follows Meta's reference {@code apply_scaling}.
     */
    public float[] llama3Divisors(float base, int ropeDim) {
        float[] out = new float[ropeDim / 2];
        double lowWavelen = originalContext / lowFreqFactor;
        double highWavelen = originalContext / highFreqFactor;
        for (int i = 0; i < out.length; i++) {
            double freq = Math.pow(base, -2.0 * i / ropeDim);
            double wavelen = 2 * Math.PI / freq;
            double scaled;
            if (type != Type.LLAMA3 || wavelen < highWavelen) scaled = freq;
            else if (wavelen > lowWavelen) scaled = freq / factor;
            else {
                double smooth = (originalContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                scaled = (1 - smooth) * freq / factor + smooth * freq;
            }
            out[i] = (float) (freq / scaled);
        }
        return out;
    }
}
