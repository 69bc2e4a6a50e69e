package dev.vera4j.engine.model;

import java.lang.foreign.MemorySegment;

import static dev.vera4j.engine.model.LlamaWeights.F32;

/** The small per-token float loops of the forward pass (norms, RoPE, softmax, SwiGLU); matrix products are in simd. */
final class Ops {
    private Ops() {}

    /** {@code out = x / rms(x) * w} over {@code n} values; {@code w} is an F32 vector read at element {@code wOff}. */
    static void rmsNorm(float[] out, int outOff, float[] x, int xOff, MemorySegment w, int wOff, int n, float eps) {
        double ss = 0;
        for (int i = 0; i < n; i++) ss += x[xOff + i] * x[xOff + i];
        float scale = (float) (1.0 / Math.sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) out[outOff + i] = x[xOff + i] * scale * w.getAtIndex(F32, wOff + i);
    }

    /** {@code y[off + i] += b[i]} for every one of {@code n} rows of {@code width}. */
    static void addBias(float[] y, MemorySegment b, int n, int width) {
        for (int t = 0; t < n; t++) {
            int o = t * width;
            for (int i = 0; i < width; i++) y[o + i] += b.getAtIndex(F32, i);
        }
    }

    /**
     * Rotates the leading {@code ropeDim} values of each of {@code heads} heads at {@code x[off..]} by the angles
     * whose cosines and sines are {@code cos/sin[csOff .. + ropeDim/2)}.
     */
    static void rope(float[] x, int off, int heads, int headDim, int ropeDim, RopeType type, float[] cos, float[] sin, int csOff) {
        int half = ropeDim / 2;
        for (int h = 0; h < heads; h++) {
            int base = off + h * headDim;
            for (int i = 0; i < half; i++) {
                int a = type == RopeType.NORM ? base + 2 * i : base + i;
                int b = type == RopeType.NORM ? a + 1 : a + half;
                float c = cos[csOff + i], s = sin[csOff + i];
                float x0 = x[a], x1 = x[b];
                x[a] = x0 * c - x1 * s;
                x[b] = x0 * s + x1 * c;
            }
        }
    }

    /** In-place softmax of {@code x[off .. off+n)}. */
    static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        float sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int i = 0; i < n; i++) x[off + i] *= inv;
    }

    /** {@code gate[i] = silu(gate[i]) * up[i]} for {@code n} values. */
    static void swiglu(float[] gate, float[] up, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }

    /** {@code x[i] += d[i]} for {@code n} values. */
    static void add(float[] x, float[] d, int n) {
        for (int i = 0; i < n; i++) x[i] += d[i];
    }
}
