package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.types.Codecs;
import dev.vera4j.gguf.types.TensorCodec;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Rows {@code [start, end)} of a product with many tokens, as a float GEMM: a panel of rows ({@link #panelRows}) at a
 * time is decoded once into a per-thread buffer of floats (by the type's codec, so any type works and the decode cost is
 * shared by all tokens), then {@link FloatTile} multiplies the panel with the tokens in 4 × 4 tiles. The columns are
 * walked in chunks of {@link #KC}: four tokens' chunk (16 KB) stays in L1 while it meets every row of the panel.
 *
 * <p>Measured on this machine's Zen 5 core, 4×4 tiles over a decoded panel reach about 110 GFLOP/s per core, against
 * 46 for the kernels that decode the weights in registers for four tokens at a time (docs/benchmark-log.md, "Prefill").
 */
final class PanelJob extends RowJob {
    /** Columns per chunk: large enough that the 16 horizontal sums per tile are rare, small enough for L1. */
    static final int KC = 1024;
    static final int ROWS = 4, TOKENS = 4;
    /**
     * Floats per panel (512 KB, about half of a Zen 5 core's L2): each token's chunk is read once per panel, so the
     * more rows a panel holds the less the tokens (1–2 MB for 128–256 tokens of 2048 columns, beyond L2) are streamed
     * again; 64 rows of 2048 columns, 16 of 8192.
     */
    static final int PANEL_FLOATS = Tuning.PANEL_FLOATS;

    private final ThreadLocal<float[]> panel;
    /** Scratch of {@link PackedLayout#decodeRow}: one row in GGUF layout. */
    private final ThreadLocal<MemorySegment> gathered;
    private TensorCodec codec;
    private PackedLayout layout;

    /** @param maxCols the widest row a product will decode */
    PanelJob(int maxCols) {
        // with slack: the panel starts where the array crosses a cache line (see CacheLines)
        int floats = Math.max(PANEL_FLOATS, ROWS * CacheLines.wholeLines(maxCols)) + CacheLines.SLACK;
        this.panel = ThreadLocal.withInitial(() -> new float[floats]);
        long rowBytes = 2L * ((maxCols + 255) / 256 * 256);   // every packed type takes less than 2 bytes per value
        this.gathered = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(rowBytes, 64));
    }

    /** Rows per panel for rows of {@code cols} values: as many whole 4-row tiles as fit in {@link #PANEL_FLOATS}. */
    static int panelRows(int cols) {
        return Math.max(ROWS, PANEL_FLOATS / CacheLines.wholeLines(cols) / ROWS * ROWS);
    }

    void type(GgmlType type) {
        this.codec = Codecs.of(type);
        this.layout = KernelTable.layout(type);
    }

    @Override
    public void run(int start, int end) {
        float[] p = panel.get();
        // every panel row on a cache line: 512-bit loads that straddle two lines made the tiles ~20 % slower
        int po = CacheLines.firstAligned(p), ps = CacheLines.wholeLines(cols);
        int rowsPerPanel = panelRows(cols);
        for (int r0 = start; r0 < end; r0 += rowsPerPanel) {
            int pr = Math.min(rowsPerPanel, end - r0);
            if (packed != null) {   // a packed copy: read it, so the mapping's pages need not come back
                MemorySegment row = gathered.get();
                for (int i = 0; i < pr; i++) layout.decodeRow(packed, r0 + i, cols, p, po + i * ps, row);
            } else {
                for (int i = 0; i < pr; i++) codec.dequantize(data, rowBytes * (r0 + i), p, po + i * ps, cols);
            }
            product(p, po, ps, pr, cols, x, xOff, n, y, yOff + r0, rows);
        }
    }

    /**
     * {@code y[yo + t·ys + i] = Σ_k p[po + i·ps + k]·x[xo + t·cols + k]} for the {@code pr} panel rows and {@code n}
     * tokens: column chunks of {@link #KC}, in each four tokens' chunk meets every panel row (4 × 4 tiles, then the
     * leftover rows and tokens).
     */
    static void product(float[] p, int po, int ps, int pr, int cols, float[] x, int xo, int n, float[] y, int yo, int ys) {
        for (int k0 = 0; k0 < cols; k0 += KC) {
            int kc = Math.min(KC, cols - k0);
            boolean add = k0 > 0;
            int t = 0;
            for (; t + TOKENS <= n; t += TOKENS) {
                int xt = xo + t * cols + k0, yt = yo + t * ys;
                int i = 0;
                if (Vec.L == 16) {
                    for (; i + ROWS <= pr; i += ROWS) FloatTile.tile4x4(p, po + i * ps + k0, ps, x, xt, cols, kc, y, yt + i, ys, add);
                } else {
                    for (; i + 2 <= pr; i += 2) FloatTile.tile2x4(p, po + i * ps + k0, ps, x, xt, cols, kc, y, yt + i, ys, add);
                }
                for (; i < pr; i++) FloatTile.tile1x4(p, po + i * ps + k0, x, xt, cols, kc, y, yt + i, ys, add);
            }
            for (; t < n; t++) {
                int xt = xo + t * cols + k0, yt = yo + t * ys;
                int i = 0;
                for (; i + ROWS <= pr; i += ROWS) FloatTile.tile4x1(p, po + i * ps + k0, ps, x, xt, kc, y, yt + i, add);
                for (; i < pr; i++) FloatTile.tile1x1(p, po + i * ps + k0, x, xt, kc, y, yt + i, add);
            }
        }
    }
}
