package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.types.Codecs;
import dev.vera4j.gguf.types.TensorCodec;

/**
 * Rows {@code [start, end)} of a product with many tokens, as a float GEMM: four rows at a time are decoded once into
 * a per-thread panel of floats (by the type's codec, so any type works and the decode costs are shared by all
 * tokens), then {@link FloatTile} multiplies the panel with the tokens four by four. The columns are walked in chunks
 * of {@link #KC}: a chunk of the panel (16 KB) stays in L1 while the tokens' matching chunks stream from L2.
 *
 * <p>Measured on this machine's Zen 5 core, 4×4 tiles over a decoded panel reach about 110 GFLOP/s per core, against
 * 46 for the kernels that decode the weights in registers for four tokens at a time (BENCHMARKS.md, "Prefill").
 */
final class PanelJob extends RowJob {
    /** Columns per chunk: large enough that the 16 horizontal sums per tile are rare, small enough for L1. */
    static final int KC = Integer.getInteger("vera4j.kc", 1024);
    static final int ROWS = 4, TOKENS = 4;

    private final ThreadLocal<float[]> panel;
    private TensorCodec codec;

    /** @param maxCols the widest row a product will decode */
    PanelJob(int maxCols) {
        this.panel = ThreadLocal.withInitial(() -> new float[ROWS * maxCols]);
    }

    void type(GgmlType type) {
        this.codec = Codecs.of(type);
    }

    @Override
    public void run(int start, int end) {
        float[] p = panel.get();
        for (int r = start; r < end; ) {
            int pr = end - r >= ROWS ? ROWS : 1;
            for (int i = 0; i < pr; i++) codec.dequantize(data, rowBytes * (r + i), p, i * cols, cols);
            for (int k0 = 0; k0 < cols; k0 += KC) {
                int kc = Math.min(KC, cols - k0);
                if (pr == ROWS) fourRows(p, r, k0, kc);
                else oneRow(p, r, k0, kc);
            }
            r += pr;
        }
    }

    private void fourRows(float[] p, int r, int k0, int kc) {
        boolean add = k0 > 0;
        int t = 0;
        for (; t + TOKENS <= n; t += TOKENS) {
            FloatTile.tile4x4(p, k0, cols, x, xOff + t * cols + k0, cols, kc, y, yOff + t * rows + r, rows, add);
        }
        for (; t < n; t++) FloatTile.tile4x1(p, k0, cols, x, xOff + t * cols + k0, kc, y, yOff + t * rows + r, add);
    }

    private void oneRow(float[] p, int r, int k0, int kc) {
        boolean add = k0 > 0;
        int t = 0;
        for (; t + TOKENS <= n; t += TOKENS) {
            FloatTile.tile1x4(p, k0, x, xOff + t * cols + k0, cols, kc, y, yOff + t * rows + r, rows, add);
        }
        for (; t < n; t++) FloatTile.tile1x1(p, k0, x, xOff + t * cols + k0, kc, y, yOff + t * rows + r, add);
    }
}
