package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Products of many tokens over weights whose packed copy groups rows by 16 ({@link PackedLayout#rowGroup}, the
 * regrouped Q4_0 copy): rows in vector lanes, tokens broadcast, so no output needs a sum across lanes.
 *
 * <p>Each task takes a pair of row groups (32 rows) and, per chunk of {@link #KC} columns, decodes them into a panel
 * held column-major ({@code panel[32k + r]}, rows 16..31 from the second group), then runs {@link #tile32x8} over
 * the tokens eight at a time (four for a last four or fewer): per column two loads of weights (32 rows),
 * eight broadcast activations and 16 FMAs into 16 accumulators, the register tile of an outer product. Measured over
 * the 1B model's Q4_0 matrices on two threads (BatchStepBench): decoding the panels alone takes about 47 ms per pass,
 * the whole product 68–77 ms for 2 to 8 tokens and 106–121 for 16, against 9–10 ms per token for the int8 kernels,
 * which is why a few tokens take those ({@link Tuning#INT8_MAX_TOKENS}). Tiles of twelve tokens (24
 * accumulators) were 3–10 % slower for 24 and 128 tokens, and wasted a third of a tile on 16.
 *
 * <pre>{@code
 * // chosen by MatMul for a product of 8 or more tokens over a regrouped Q4_0 copy
 * mm.matMul(w, x, y, 128);
 * }</pre>
 */
final class RowLanesJob extends RowJob {
    /** Columns per panel: 32 rows × 2048 floats is 256 KB, half a Zen 5 core's L2, beside eight tokens' 64 KB. */
    static final int KC = 2048;
    private static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;

    private final ThreadLocal<float[]> panel = ThreadLocal.withInitial(() -> new float[32 * KC + CacheLines.SLACK]);
    private PackedLayout layout;

    void layout(PackedLayout layout) { this.layout = layout; }

    /** Pairs of 16-row groups. */
    @Override
    int units() { return (rows / 16 + 1) / 2; }

    @Override
    public void run(int start, int end) {
        float[] p = panel.get();
        int po = CacheLines.firstAligned(p), groups = rows / 16;
        for (int pair = start; pair < end; pair++) {
            int g = 2 * pair, valid = Math.min(32, 16 * (groups - g));
            for (int k0 = 0; k0 < cols; k0 += KC) {
                int kc = Math.min(KC, cols - k0);
                layout.decodeGroup(packed, g, cols, k0, kc, p, po, 32);
                // a lone last group leaves rows 16..31 of the panel as they were: computed, never stored
                if (valid == 32) layout.decodeGroup(packed, g + 1, cols, k0, kc, p, po + 16, 32);
                for (int t0 = 0; t0 < n; t0 += 8) tile32x8(p, po, x, xOff + k0, cols, t0, n, kc, y, yOff, rows, 16 * g, valid, k0 > 0, n - t0 > 4);
            }
        }
    }

    /**
     * {@code y[yo + t·ys + r0 + r] (+)= Σ_k p[po + 32k + r]·x[xo + t·xs + k]} for tokens {@code t0 .. t0+8} below
     * {@code n} and rows {@code r < valid} of 32, over {@code kc} columns; tokens past {@code n} repeat the last one
     * (computed, not stored), so the loop needs no tail. Without {@code eight} only the first four tokens are computed
     * (for a last four or fewer): C2 unswitches the loop on it, so either version runs without the test.
     */
    static void tile32x8(float[] p, int po, float[] x, int xo, int xs, int t0, int n, int kc, float[] y, int yo, int ys, int r0, int valid, boolean add, boolean eight) {
        FloatVector z = FloatVector.zero(F16);
        FloatVector a0 = z, b0 = z, a1 = z, b1 = z;
        FloatVector a2 = z, b2 = z, a3 = z, b3 = z;
        FloatVector a4 = z, b4 = z, a5 = z, b5 = z;
        FloatVector a6 = z, b6 = z, a7 = z, b7 = z;
        int x0 = xo + Math.min(t0 + 0, n - 1) * xs;
        int x1 = xo + Math.min(t0 + 1, n - 1) * xs;
        int x2 = xo + Math.min(t0 + 2, n - 1) * xs;
        int x3 = xo + Math.min(t0 + 3, n - 1) * xs;
        int x4 = xo + Math.min(t0 + 4, n - 1) * xs;
        int x5 = xo + Math.min(t0 + 5, n - 1) * xs;
        int x6 = xo + Math.min(t0 + 6, n - 1) * xs;
        int x7 = xo + Math.min(t0 + 7, n - 1) * xs;
        for (int k = 0; k < kc; k++) {
            FloatVector w0 = FloatVector.fromArray(F16, p, po + 32 * k), w1 = FloatVector.fromArray(F16, p, po + 32 * k + 16);
            FloatVector v0 = FloatVector.broadcast(F16, x[x0 + k]);
            a0 = w0.fma(v0, a0);
            b0 = w1.fma(v0, b0);
            FloatVector v1 = FloatVector.broadcast(F16, x[x1 + k]);
            a1 = w0.fma(v1, a1);
            b1 = w1.fma(v1, b1);
            FloatVector v2 = FloatVector.broadcast(F16, x[x2 + k]);
            a2 = w0.fma(v2, a2);
            b2 = w1.fma(v2, b2);
            FloatVector v3 = FloatVector.broadcast(F16, x[x3 + k]);
            a3 = w0.fma(v3, a3);
            b3 = w1.fma(v3, b3);
            if (!eight) continue;
            FloatVector v4 = FloatVector.broadcast(F16, x[x4 + k]);
            a4 = w0.fma(v4, a4);
            b4 = w1.fma(v4, b4);
            FloatVector v5 = FloatVector.broadcast(F16, x[x5 + k]);
            a5 = w0.fma(v5, a5);
            b5 = w1.fma(v5, b5);
            FloatVector v6 = FloatVector.broadcast(F16, x[x6 + k]);
            a6 = w0.fma(v6, a6);
            b6 = w1.fma(v6, b6);
            FloatVector v7 = FloatVector.broadcast(F16, x[x7 + k]);
            a7 = w0.fma(v7, a7);
            b7 = w1.fma(v7, b7);
        }
        // stores written out: a helper taking the accumulators would box them where C2 does not inline it
        if (t0 + 0 < n) {
            int o = yo + (t0 + 0) * ys + r0;
            (add ? a0.add(FloatVector.fromArray(F16, y, o)) : a0).intoArray(y, o);
            if (valid == 32) (add ? b0.add(FloatVector.fromArray(F16, y, o + 16)) : b0).intoArray(y, o + 16);
        }
        if (t0 + 1 < n) {
            int o = yo + (t0 + 1) * ys + r0;
            (add ? a1.add(FloatVector.fromArray(F16, y, o)) : a1).intoArray(y, o);
            if (valid == 32) (add ? b1.add(FloatVector.fromArray(F16, y, o + 16)) : b1).intoArray(y, o + 16);
        }
        if (t0 + 2 < n) {
            int o = yo + (t0 + 2) * ys + r0;
            (add ? a2.add(FloatVector.fromArray(F16, y, o)) : a2).intoArray(y, o);
            if (valid == 32) (add ? b2.add(FloatVector.fromArray(F16, y, o + 16)) : b2).intoArray(y, o + 16);
        }
        if (t0 + 3 < n) {
            int o = yo + (t0 + 3) * ys + r0;
            (add ? a3.add(FloatVector.fromArray(F16, y, o)) : a3).intoArray(y, o);
            if (valid == 32) (add ? b3.add(FloatVector.fromArray(F16, y, o + 16)) : b3).intoArray(y, o + 16);
        }
        if (t0 + 4 < n) {
            int o = yo + (t0 + 4) * ys + r0;
            (add ? a4.add(FloatVector.fromArray(F16, y, o)) : a4).intoArray(y, o);
            if (valid == 32) (add ? b4.add(FloatVector.fromArray(F16, y, o + 16)) : b4).intoArray(y, o + 16);
        }
        if (t0 + 5 < n) {
            int o = yo + (t0 + 5) * ys + r0;
            (add ? a5.add(FloatVector.fromArray(F16, y, o)) : a5).intoArray(y, o);
            if (valid == 32) (add ? b5.add(FloatVector.fromArray(F16, y, o + 16)) : b5).intoArray(y, o + 16);
        }
        if (t0 + 6 < n) {
            int o = yo + (t0 + 6) * ys + r0;
            (add ? a6.add(FloatVector.fromArray(F16, y, o)) : a6).intoArray(y, o);
            if (valid == 32) (add ? b6.add(FloatVector.fromArray(F16, y, o + 16)) : b6).intoArray(y, o + 16);
        }
        if (t0 + 7 < n) {
            int o = yo + (t0 + 7) * ys + r0;
            (add ? a7.add(FloatVector.fromArray(F16, y, o)) : a7).intoArray(y, o);
            if (valid == 32) (add ? b7.add(FloatVector.fromArray(F16, y, o + 16)) : b7).intoArray(y, o + 16);
        }
    }
}
