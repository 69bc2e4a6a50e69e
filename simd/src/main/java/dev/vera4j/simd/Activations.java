package dev.vera4j.simd;

/**
 * Activation functions: SiLU {@code x·σ(x)} and the SwiGLU gate {@code silu(gate) ⊙ up} of Llama-style FFNs.
 *
 * <pre>{@code
 * Activations.swiglu(gate, 0, up, 0, hiddenDim);   // gate = silu(gate) * up
 * }</pre>
 */
public final class Activations {
    private Activations() {}

    /** In place: {@code x_i = x_i / (1 + exp(−x_i))}, with {@link Exp}'s {@code e^x} (the same bits in every JIT tier). */
    public static void silu(float[] x, int off, int n) {
        Exp.silu(x, off, null, 0, n);
    }

    /** In place into {@code gate}: {@code gate_i = silu(gate_i) · up_i}. */
    public static void swiglu(float[] gate, int gOff, float[] up, int uOff, int n) {
        Exp.silu(gate, gOff, up, uOff, n);
    }

    /** Scalar reference in double. */
    public static void siluReference(float[] x, int off, int n) {
        for (int i = 0; i < n; i++) x[off + i] = (float) (x[off + i] / (1 + Math.exp(-(double) x[off + i])));
    }

    /** Scalar reference in double. */
    public static void swigluReference(float[] gate, int gOff, float[] up, int uOff, int n) {
        for (int i = 0; i < n; i++) {
            double g = gate[gOff + i];
            gate[gOff + i] = (float) (g / (1 + Math.exp(-g)) * up[uOff + i]);
        }
    }
}
