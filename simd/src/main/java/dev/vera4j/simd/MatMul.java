package dev.vera4j.simd;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Products of GGUF weight matrices with activations, split over a {@link WorkerPool}. One instance per session: it
 * owns the scratch buffers (e.g. activations quantized to 8-bit blocks), so a product allocates nothing.
 *
 * <pre>{@code
 * var mm = new MatMul(pool, maxCols, maxTokens);
 * mm.matVec(Weights.of(file.tensor("blk.0.attn_q.weight")), x, y);   // y = W·x
 * mm.matMul(w, xs, ys, n);                                            // ys[t] = W·xs[t] for n tokens
 * }</pre>
 *
 * <p>(Skeleton: F32 only; the kernels work replaces this with per-type Vector API kernels.)
 */
public final class MatMul {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private final WorkerPool pool;

    /** @param maxCols the widest input any product will see; @param maxTokens the most tokens in one {@link #matMul} */
    public MatMul(WorkerPool pool, int maxCols, int maxTokens) {
        this.pool = pool;
    }

    /** {@code y[r] = Σ_k W[r,k]·x[k]} for every row of {@code w}. */
    public void matVec(Weights w, float[] x, float[] y) {
        matMul(w, x, y, 1);
    }

    /** {@code y[t·rows + r] = Σ_k W[r,k]·x[t·cols + k]} for {@code n} tokens. */
    public void matMul(Weights w, float[] x, float[] y, int n) {
        if (w.type() != dev.vera4j.gguf.GgmlType.F32) throw new UnsupportedOperationException("skeleton supports F32 only");
        int cols = w.cols(), rows = w.rows();
        pool.parallelFor(rows, (start, end) -> {
            for (int r = start; r < end; r++) {
                long base = (long) r * cols * 4;
                for (int t = 0; t < n; t++) {
                    float s = 0;
                    for (int k = 0; k < cols; k++) s += w.data().get(F32, base + 4L * k) * x[t * cols + k];
                    y[t * rows + r] = s;
                }
            }
        });
    }
}
