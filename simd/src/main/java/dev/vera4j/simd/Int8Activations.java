package dev.vera4j.simd;

/**
 * Activations quantized once per product for the int8 kernels, as llama.cpp's {@code quantize_row_q8_0} does: per
 * block of 32 values a float scale {@code d = max|x| / 127} and integers {@code q = round(x / d)} in [−127, 127],
 * kept widened to shorts (the kernels multiply them as 16-bit lanes), plus {@code d·Σq} per block for the offset
 * correction of Q4_0. The scale stays a float (llama.cpp rounds it to fp16), which only removes error.
 *
 * <pre>{@code
 * var acts = new Int8Activations(maxTokens * maxCols);
 * acts.quantize(x, 0, n * cols);   // then acts.q, acts.d, acts.ds for the kernels
 * }</pre>
 */
final class Int8Activations {
    final short[] q;
    final float[] d;
    /** Per block {@code d · Σ q}. */
    final float[] ds;

    Int8Activations(int maxValues) {
        q = new short[maxValues];
        d = new float[maxValues / 32];
        ds = new float[maxValues / 32];
    }

    /** Quantizes {@code x[off .. off+count)} (a multiple of 32) into blocks {@code 0 .. count/32}. */
    void quantize(float[] x, int off, int count) {
        for (int b = 0, nb = count / 32; b < nb; b++) {
            int xi = off + 32 * b, qi = 32 * b;
            float amax = 0;
            for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(x[xi + i]));
            float scale = amax / 127f, inv = amax == 0 ? 0 : 127f / amax;
            int sum = 0;
            for (int i = 0; i < 32; i++) {
                int v = Math.round(x[xi + i] * inv);
                q[qi + i] = (short) v;
                sum += v;
            }
            d[b] = scale;
            ds[b] = scale * sum;
        }
    }
}
