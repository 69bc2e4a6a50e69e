package dev.vera4j.vera.train;

import dev.vera4j.engine.model.Activation;
import dev.vera4j.simd.Tanh;
import dev.vera4j.vera.VeraKernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The small loops of the backward pass: RMSNorm's gradient, and head-sized dot/axpy.
 *
 * <pre>{@code
 * TrainOps.rmsNormBackward(x, weight, dy, dx, n, dim, eps);   // dx += ∂L/∂x
 * }</pre>
 */
final class TrainOps {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private TrainOps() {}

    /**
     * RMSNorm {@code y = x·s·w} with {@code s = 1/sqrt(mean(x²)+eps)}: adds
     * {@code ∂L/∂x = s·g − s³·x·(g·x)/n}, {@code g = dy ⊙ w}, to {@code dxOut}.
     */
    static void rmsNormBackward(float[] x, MemorySegment weight, float[] dy, float[] dxOut, int n, int width, float eps) {
        for (int t = 0; t < n; t++) {
            int o = t * width;
            double ss = 0, gx = 0;
            for (int i = 0; i < width; i++) {
                ss += x[o + i] * x[o + i];
                gx += (double) dy[o + i] * weight.getAtIndex(F32, i) * x[o + i];
            }
            double s = 1.0 / Math.sqrt(ss / width + eps);
            float a = (float) s, b = (float) (s * s * s * gx / width);
            for (int i = 0; i < width; i++) dxOut[o + i] += a * dy[o + i] * weight.getAtIndex(F32, i) - b * x[o + i];
        }
    }

    /**
     * Through {@code mix = act(gate) ⊙ up} for {@code n} values: {@code dGate = dMix ⊙ up ⊙ act'(gate)},
     * {@code dUp = dMix ⊙ act(gate)} (both overwritten), for SiLU or GELU (tanh form).
     */
    static void gatedBackward(Activation act, float[] gate, float[] up, float[] dMix, float[] dGate, float[] dUp, int n) {
        if (act == Activation.SILU) {
            swigluBackward(gate, up, dMix, dGate, dUp, n);
            return;
        }
        for (int i = 0; i < n; i++) {
            float x = gate[i], inner = (x * x * x * 0.044715f + x) * 0.7978845608f;
            float th = Tanh.tanhReference(inner);
            float gelu = 0.5f * x * (1f + th);
            float slope = 0.5f * (1f + th) + 0.5f * x * (1f - th * th) * 0.7978845608f * (1f + 3f * 0.044715f * x * x);
            dGate[i] = dMix[i] * up[i] * slope;
            dUp[i] = dMix[i] * gelu;
        }
    }

    /** {@link #gatedBackward} for SiLU: {@code silu'(g) = σ(g)·(1 + g·(1 − σ(g)))}. */
    static void swigluBackward(float[] gate, float[] up, float[] dMix, float[] dGate, float[] dUp, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[i], sig = (float) (1.0 / (1.0 + Math.exp(-g)));
            dGate[i] = dMix[i] * up[i] * sig * (1f + g * (1f - sig));
            dUp[i] = dMix[i] * g * sig;
        }
    }

    /** Head-sized dot product: plain loops for the short heads of small models, where vector set-up costs more. */
    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        if (n >= 32) return VeraKernels.dot(a, aOff, b, bOff, n);
        float s = 0;
        for (int i = 0; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    /** {@code y += alpha·x} over {@code n} values (head-sized, as {@link #dot}). */
    static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        if (n >= 32) {
            VeraKernels.axpy(alpha, x, xOff, y, yOff, n);
            return;
        }
        for (int i = 0; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
    }
}
