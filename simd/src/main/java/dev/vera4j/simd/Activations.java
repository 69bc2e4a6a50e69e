package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static dev.vera4j.simd.Vec.F;

/**
 * Activation functions: SiLU {@code x·σ(x)} and the SwiGLU gate {@code silu(gate) ⊙ up} of Llama-style FFNs.
 *
 * <pre>{@code
 * Activations.swiglu(gate, 0, up, 0, hiddenDim);   // gate = silu(gate) * up
 * }</pre>
 */
public final class Activations {
    private Activations() {}

    /** In place: {@code x_i = x_i / (1 + exp(−x_i))}. */
    public static void silu(float[] x, int off, int n) {
        int i = 0;
        for (int u = F.loopBound(n); i < u; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, off + i);
            v.div(v.neg().lanewise(VectorOperators.EXP).add(1f)).intoArray(x, off + i);
        }
        for (; i < n; i++) x[off + i] = silu(x[off + i]);
    }

    /** In place into {@code gate}: {@code gate_i = silu(gate_i) · up_i}. */
    public static void swiglu(float[] gate, int gOff, float[] up, int uOff, int n) {
        int i = 0;
        for (int u = F.loopBound(n); i < u; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, gate, gOff + i);
            g.div(g.neg().lanewise(VectorOperators.EXP).add(1f)).mul(FloatVector.fromArray(F, up, uOff + i)).intoArray(gate, gOff + i);
        }
        for (; i < n; i++) gate[gOff + i] = silu(gate[gOff + i]) * up[uOff + i];
    }

    private static float silu(float v) {
        return v / (1 + (float) Math.exp(-v));
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
