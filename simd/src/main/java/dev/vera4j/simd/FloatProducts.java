package dev.vera4j.simd;

/**
 * Products with float matrices held in heap arrays (VeRA's A and B, and the gradients that meet them), split over a
 * {@link WorkerPool}: {@link #multiply} is {@code Y = X·Wᵀ} by the register tiles of the many-token weight product
 * ({@link PanelJob#product}, the rows need no decoding), and {@link #accumulateTransposed} is {@code dX += dY·W} by
 * {@link TransposedTile}. Threads own disjoint outputs and every output is summed in a fixed order, so results do not
 * depend on the thread count. One instance per session or trainer (not thread-safe); allocates nothing per call.
 *
 * <pre>{@code
 * var fp = new FloatProducts(pool);
 * fp.multiply(a, x, 0, ax, 0, n);                 // ax[t·rank + i] = Σ_k A[i,k]·x[t·in + k]
 * fp.accumulateTransposed(a, g, 0, dx, 0, n);     // dx[t·in + k] += Σ_i g[t·rank + i]·A[i,k]
 * }</pre>
 */
public final class FloatProducts {
    /** Multiply-adds below which waking the pool costs more than it saves. */
    public static final long PARALLEL_MIN = 1 << 16;
    /** Rows per block of the transposed product: each token's slice of {@code dX} is read and written once per block. */
    private static final int ROW_BLOCK = 64;

    private final WorkerPool pool;
    private final long parallelMin;
    private final MultiplyTask multiply = new MultiplyTask();
    private final TransposedTask transposed = new TransposedTask();

    /** @param pool threads to split the products over, or {@code null} for the calling thread only */
    public FloatProducts(WorkerPool pool) {
        this(pool, PARALLEL_MIN);
    }

    /** As above, running products of fewer than {@code parallelMin} multiply-adds on the calling thread (0: split all). */
    public FloatProducts(WorkerPool pool, long parallelMin) {
        this.pool = pool;
        this.parallelMin = parallelMin;
    }

    /** {@code y[yOff + t·rows + r] = Σ_k W[r,k]·x[xOff + t·cols + k]} for {@code n} tokens. */
    public void multiply(FloatRows w, float[] x, int xOff, float[] y, int yOff, int n) {
        check(x, xOff, n, w.cols(), "input");
        check(y, yOff, n, w.rows(), "output");
        if (n == 0 || w.rows() == 0) return;
        MultiplyTask m = multiply;
        m.w = w;
        m.x = x;
        m.y = y;
        m.xOff = xOff;
        m.yOff = yOff;
        m.n = n;
        try {
            run(w.rows(), m, (long) w.rows() * w.cols() * n);
        } finally {
            m.w = null;
            m.x = m.y = null;
        }
    }

    /** {@code dx[dxOff + t·cols + k] += Σ_r dy[dyOff + t·rows + r]·W[r,k]} for {@code n} tokens. */
    public void accumulateTransposed(FloatRows w, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
        check(dy, dyOff, n, w.rows(), "gradient");
        check(dx, dxOff, n, w.cols(), "input gradient");
        if (n == 0 || w.cols() == 0) return;
        TransposedTask tt = transposed;
        tt.w = w;
        tt.dy = dy;
        tt.dx = dx;
        tt.dyOff = dyOff;
        tt.dxOff = dxOff;
        tt.n = n;
        // column chunks of whole strips, so each thread sweeps full vectors
        tt.chunks = Math.max(1, Math.min(pool == null ? 1 : pool.threads(), (w.cols() + 63) / 64));
        try {
            run(tt.chunks, tt, (long) w.rows() * w.cols() * n);
        } finally {
            tt.w = null;
            tt.dy = tt.dx = null;
        }
    }

    private static void check(float[] a, int off, int n, int width, String what) {
        if (n < 0 || off < 0 || (long) off + (long) n * width > a.length) {
            throw new IllegalArgumentException(what + " of " + a.length + " floats is too short for " + n + " tokens of " + width + " at " + off);
        }
    }

    private void run(int count, RangeTask task, long work) {
        if (pool == null || pool.threads() == 1 || work < parallelMin) task.run(0, count);
        else pool.parallelFor(count, task);
    }

    private static final class MultiplyTask implements RangeTask {
        FloatRows w;
        float[] x, y;
        int xOff, yOff, n;

        @Override
        public void run(int start, int end) {
            FloatRows w = this.w;
            int rowsPerPanel = PanelJob.panelRows(w.cols());
            for (int r0 = start; r0 < end; r0 += rowsPerPanel) {
                int pr = Math.min(rowsPerPanel, end - r0);
                PanelJob.product(w.data(), w.offset() + r0 * w.stride(), w.stride(), pr, w.cols(), x, xOff, n, y, yOff + r0, w.rows());
            }
        }
    }

    private static final class TransposedTask implements RangeTask {
        FloatRows w;
        float[] dy, dx;
        int dyOff, dxOff, n, chunks;

        @Override
        public void run(int start, int end) {
            FloatRows w = this.w;
            int rows = w.rows(), cols = w.cols(), vectors = (cols + 15) / 16;
            for (int chunk = start; chunk < end; chunk++) {
                int c0 = Math.min(cols, 16 * (int) ((long) vectors * chunk / chunks));
                int c1 = Math.min(cols, 16 * (int) ((long) vectors * (chunk + 1) / chunks));
                if (c1 <= c0) continue;
                for (int r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
                    int rb = Math.min(ROW_BLOCK, rows - r0);
                    TransposedTile.accumulate(dy, dyOff + r0, rows, rb, w.stride(), w.data(), w.offset() + r0 * w.stride(), c0, c1 - c0,
                            dx, dxOff, cols, n);
                }
            }
        }
    }
}
