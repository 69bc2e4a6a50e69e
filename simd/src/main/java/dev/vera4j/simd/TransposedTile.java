package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register-tiled {@code dx += Wᵀ·dy} over a block of float rows (a decoded tile of a frozen weight, or a float matrix
 * such as VeRA's A and B): the gradients of one, two or four tokens for 64 columns are held in registers while the
 * block's rows are added in order, so every element sees the same fused multiply-adds as a row-by-row axpy and the
 * token grouping does not change a bit. {@link #accumulate} walks a column range in strips and groups the tokens.
 *
 * <pre>{@code
 * // dx[t·cols + k] += Σ_r dy[t·rows + r] · w[r·cols + k] for k in [c0, c0 + width), rows [r0, r0 + rb)
 * TransposedTile.accumulate(dy, r0, rows, rb, cols, w, r0 * cols, c0, width, dx, 0, cols, n);
 * }</pre>
 */
public final class TransposedTile {
    /** Columns swept over all tokens at a time, so the rows' strip (64 KB for 64 rows) stays in L2. */
    public static final int STRIP = 256;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private TransposedTile() {}

    /**
     * For {@code n} tokens and columns {@code [c0, c0 + width)}: {@code dx[dxOff + t·dxStep + k] += Σ_{rr < rb}
     * dy[dyOff + t·dyStep + rr] · w[wOff + rr·stride + k]}, rows added in order.
     */
    public static void accumulate(float[] dy, int dyOff, int dyStep, int rb, int stride, float[] w, int wOff, int c0, int width,
                                  float[] dx, int dxOff, int dxStep, int n) {
        for (int s0 = c0; s0 < c0 + width; s0 += STRIP) {
            int sw = Math.min(STRIP, c0 + width - s0);
            int t = 0;
            for (; t + 3 < n; t += 4) {
                accumulateTileQuad(dy, dyOff + t * dyStep, dyStep, rb, stride, w, wOff + s0, sw, dx, dxOff + t * dxStep + s0, dxStep);
            }
            for (; t + 1 < n; t += 2) {
                accumulateTilePair(dy, dyOff + t * dyStep, dyStep, rb, stride, w, wOff + s0, sw, dx, dxOff + t * dxStep + s0, dxStep);
            }
            if (t < n) accumulateTile(dy, dyOff + t * dyStep, rb, stride, w, wOff + s0, sw, dx, dxOff + t * dxStep + s0);
        }
    }

    /**
     * {@link #accumulateTile} for four tokens at once: per row, four tile vectors and four broadcast gradients feed 16
     * FMAs (the tile loads are shared by the tokens); the per-element sums are the same.
     */
    public static void accumulateTileQuad(float[] dy, int dyOff, int dyStep, int rb, int stride, float[] tile, int c, int width,
                                   float[] dx, int dxOff, int dxStep) {
        int step = S.length(), j = 0;
        int d1 = dyOff + dyStep, d2 = d1 + dyStep, d3 = d2 + dyStep;
        int e1 = dxOff + dxStep, e2 = e1 + dxStep, e3 = e2 + dxStep;
        for (int bound = width - 4 * step; j <= bound; j += 4 * step) {
            FloatVector a0 = FloatVector.fromArray(S, dx, dxOff + j), a1 = FloatVector.fromArray(S, dx, dxOff + j + step),
                    a2 = FloatVector.fromArray(S, dx, dxOff + j + 2 * step), a3 = FloatVector.fromArray(S, dx, dxOff + j + 3 * step);
            FloatVector b0 = FloatVector.fromArray(S, dx, e1 + j), b1 = FloatVector.fromArray(S, dx, e1 + j + step),
                    b2 = FloatVector.fromArray(S, dx, e1 + j + 2 * step), b3 = FloatVector.fromArray(S, dx, e1 + j + 3 * step);
            FloatVector c0 = FloatVector.fromArray(S, dx, e2 + j), c1 = FloatVector.fromArray(S, dx, e2 + j + step),
                    c2 = FloatVector.fromArray(S, dx, e2 + j + 2 * step), c3 = FloatVector.fromArray(S, dx, e2 + j + 3 * step);
            FloatVector f0 = FloatVector.fromArray(S, dx, e3 + j), f1 = FloatVector.fromArray(S, dx, e3 + j + step),
                    f2 = FloatVector.fromArray(S, dx, e3 + j + 2 * step), f3 = FloatVector.fromArray(S, dx, e3 + j + 3 * step);
            for (int rr = 0, o = c + j; rr < rb; rr++, o += stride) {
                FloatVector w0 = FloatVector.fromArray(S, tile, o), w1 = FloatVector.fromArray(S, tile, o + step),
                        w2 = FloatVector.fromArray(S, tile, o + 2 * step), w3 = FloatVector.fromArray(S, tile, o + 3 * step);
                FloatVector g = FloatVector.broadcast(S, dy[dyOff + rr]);
                a0 = w0.fma(g, a0); a1 = w1.fma(g, a1); a2 = w2.fma(g, a2); a3 = w3.fma(g, a3);
                g = FloatVector.broadcast(S, dy[d1 + rr]);
                b0 = w0.fma(g, b0); b1 = w1.fma(g, b1); b2 = w2.fma(g, b2); b3 = w3.fma(g, b3);
                g = FloatVector.broadcast(S, dy[d2 + rr]);
                c0 = w0.fma(g, c0); c1 = w1.fma(g, c1); c2 = w2.fma(g, c2); c3 = w3.fma(g, c3);
                g = FloatVector.broadcast(S, dy[d3 + rr]);
                f0 = w0.fma(g, f0); f1 = w1.fma(g, f1); f2 = w2.fma(g, f2); f3 = w3.fma(g, f3);
            }
            a0.intoArray(dx, dxOff + j); a1.intoArray(dx, dxOff + j + step);
            a2.intoArray(dx, dxOff + j + 2 * step); a3.intoArray(dx, dxOff + j + 3 * step);
            b0.intoArray(dx, e1 + j); b1.intoArray(dx, e1 + j + step);
            b2.intoArray(dx, e1 + j + 2 * step); b3.intoArray(dx, e1 + j + 3 * step);
            c0.intoArray(dx, e2 + j); c1.intoArray(dx, e2 + j + step);
            c2.intoArray(dx, e2 + j + 2 * step); c3.intoArray(dx, e2 + j + 3 * step);
            f0.intoArray(dx, e3 + j); f1.intoArray(dx, e3 + j + step);
            f2.intoArray(dx, e3 + j + 2 * step); f3.intoArray(dx, e3 + j + 3 * step);
        }
        if (j < width) {
            accumulateTilePair(dy, dyOff, dyStep, rb, stride, tile, c + j, width - j, dx, dxOff + j, dxStep);
            accumulateTilePair(dy, d2, dyStep, rb, stride, tile, c + j, width - j, dx, e2 + j, dxStep);
        }
    }

    /**
     * {@link #accumulateTile} for two tokens at once ({@code dy} rows {@code dyStep} apart, {@code dx} rows
     * {@code dxStep} apart), so each tile value loaded serves both; the per-element sums are the same.
     */
    public static void accumulateTilePair(float[] dy, int dyOff, int dyStep, int rb, int stride, float[] tile, int c, int width,
                                   float[] dx, int dxOff, int dxStep) {
        int step = S.length(), j = 0, e = dxOff + dxStep;
        for (int bound = width - 4 * step; j <= bound; j += 4 * step) {
            FloatVector a0 = FloatVector.fromArray(S, dx, dxOff + j), a1 = FloatVector.fromArray(S, dx, dxOff + j + step),
                    a2 = FloatVector.fromArray(S, dx, dxOff + j + 2 * step), a3 = FloatVector.fromArray(S, dx, dxOff + j + 3 * step);
            FloatVector b0 = FloatVector.fromArray(S, dx, e + j), b1 = FloatVector.fromArray(S, dx, e + j + step),
                    b2 = FloatVector.fromArray(S, dx, e + j + 2 * step), b3 = FloatVector.fromArray(S, dx, e + j + 3 * step);
            for (int rr = 0, o = c + j; rr < rb; rr++, o += stride) {
                FloatVector g = FloatVector.broadcast(S, dy[dyOff + rr]), h = FloatVector.broadcast(S, dy[dyOff + dyStep + rr]);
                FloatVector w0 = FloatVector.fromArray(S, tile, o), w1 = FloatVector.fromArray(S, tile, o + step),
                        w2 = FloatVector.fromArray(S, tile, o + 2 * step), w3 = FloatVector.fromArray(S, tile, o + 3 * step);
                a0 = w0.fma(g, a0);
                a1 = w1.fma(g, a1);
                a2 = w2.fma(g, a2);
                a3 = w3.fma(g, a3);
                b0 = w0.fma(h, b0);
                b1 = w1.fma(h, b1);
                b2 = w2.fma(h, b2);
                b3 = w3.fma(h, b3);
            }
            a0.intoArray(dx, dxOff + j);
            a1.intoArray(dx, dxOff + j + step);
            a2.intoArray(dx, dxOff + j + 2 * step);
            a3.intoArray(dx, dxOff + j + 3 * step);
            b0.intoArray(dx, e + j);
            b1.intoArray(dx, e + j + step);
            b2.intoArray(dx, e + j + 2 * step);
            b3.intoArray(dx, e + j + 3 * step);
        }
        if (j < width) {
            accumulateTile(dy, dyOff, rb, stride, tile, c + j, width - j, dx, dxOff + j);
            accumulateTile(dy, dyOff + dyStep, rb, stride, tile, c + j, width - j, dx, e + j);
        }
    }

    /**
     * {@code dx[dxOff + j] += Σ_rr dy[dyOff + rr] · tile[rr·stride + c + j]} for {@code j < width}, the rows added in
     * order onto the running value, so every element sees the same fused multiply-adds as a row-by-row axpy.
     */
    public static void accumulateTile(float[] dy, int dyOff, int rb, int stride, float[] tile, int c, int width, float[] dx, int dxOff) {
        int step = S.length(), j = 0;
        for (int bound = width - 4 * step; j <= bound; j += 4 * step) {
            FloatVector a0 = FloatVector.fromArray(S, dx, dxOff + j), a1 = FloatVector.fromArray(S, dx, dxOff + j + step),
                    a2 = FloatVector.fromArray(S, dx, dxOff + j + 2 * step), a3 = FloatVector.fromArray(S, dx, dxOff + j + 3 * step);
            for (int rr = 0, o = c + j; rr < rb; rr++, o += stride) {
                FloatVector g = FloatVector.broadcast(S, dy[dyOff + rr]);
                a0 = FloatVector.fromArray(S, tile, o).fma(g, a0);
                a1 = FloatVector.fromArray(S, tile, o + step).fma(g, a1);
                a2 = FloatVector.fromArray(S, tile, o + 2 * step).fma(g, a2);
                a3 = FloatVector.fromArray(S, tile, o + 3 * step).fma(g, a3);
            }
            a0.intoArray(dx, dxOff + j);
            a1.intoArray(dx, dxOff + j + step);
            a2.intoArray(dx, dxOff + j + 2 * step);
            a3.intoArray(dx, dxOff + j + 3 * step);
        }
        for (int bound = width - step; j <= bound; j += step) {
            FloatVector a = FloatVector.fromArray(S, dx, dxOff + j);
            for (int rr = 0, o = c + j; rr < rb; rr++, o += stride) a = FloatVector.fromArray(S, tile, o).fma(FloatVector.broadcast(S, dy[dyOff + rr]), a);
            a.intoArray(dx, dxOff + j);
        }
        for (; j < width; j++) {
            float a = dx[dxOff + j];
            for (int rr = 0, o = c + j; rr < rb; rr++, o += stride) a = Math.fma(dy[dyOff + rr], tile[o], a);
            dx[dxOff + j] = a;
        }
    }
}
