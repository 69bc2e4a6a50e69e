package dev.vera4j.vera.lora;

import dev.vera4j.vera.VeraSite;

/**
 * One adapted layer of a LoRA adapter: {@code Δy = scale · B·(A·x)}, with {@code A} ({@code rank × in}, row-major,
 * PEFT's {@code lora_A.weight}) and {@code B} ({@code out × rank}, row-major, {@code lora_B.weight}) in the base
 * GGUF's row order (q/k rows of a {@code llama} model as llama.cpp permutes them), and {@code scale} PEFT's
 * {@code lora_alpha / r} (or {@code / √r} with rsLoRA), which the user's weight multiplies. The arrays are held, not
 * copied.
 *
 * <pre>{@code
 * LoraMatrices m = new LoraMatrices(new VeraSite(0, VeraTarget.Q), 8, 64, 64, a, b, 16f / 8);   // alpha 16, r 8
 * }</pre>
 */
public record LoraMatrices(VeraSite site, int rank, int in, int out, float[] a, float[] b, float scale) {
    public LoraMatrices {
        if (site == null) throw new IllegalArgumentException("site is null");
        if (rank < 1 || in < 1 || out < 1) {
            throw new IllegalArgumentException(site + ": LoRA shapes must be positive (r " + rank + ", in " + in + ", out " + out + ")");
        }
        if (a.length != (long) rank * in) throw new IllegalArgumentException(site + ": A has " + a.length + " values, expected " + rank + " x " + in);
        if (b.length != (long) out * rank) throw new IllegalArgumentException(site + ": B has " + b.length + " values, expected " + out + " x " + rank);
        if (!Float.isFinite(scale)) throw new IllegalArgumentException(site + ": scale " + scale + " is not finite");
    }

    /** Trainable parameters: {@code rank · (in + out)}. */
    public long parameterCount() { return (long) rank * (in + out); }

    /** {@code B} transposed ({@code rank × out}, row-major), so that {@code B·h} is a sum of rows scaled by {@code h}. */
    public float[] bTransposed() {
        float[] bt = new float[b.length];
        for (int o = 0; o < out; o++) for (int i = 0; i < rank; i++) bt[i * out + o] = b[o * rank + i];
        return bt;
    }
}
