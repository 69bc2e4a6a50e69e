package dev.vera4j.vera.train;

import dev.vera4j.gguf.types.Codecs;
import dev.vera4j.gguf.types.TensorCodec;
import dev.vera4j.simd.RangeTask;
import dev.vera4j.simd.Weights;
import dev.vera4j.simd.WorkerPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code dx += Wᵀ·dy} for a frozen (possibly quantized) weight, read straight from its mapped rows: each row is
 * decoded once per column range into a small tile of {@value #ROW_BLOCK} rows, which is accumulated into the input
 * gradients of all tokens in registers (rows in order, so the sums match a row-by-row pass exactly), so no dequantized
 * copy of W ever exists. Threads split the columns (in whole quantization blocks), so they never write
 * the same output and the result does not depend on the thread count. One instance per trainer; not thread-safe.
 *
 * <pre>{@code
 * TransposedProduct tp = new TransposedProduct(pool, 4096);
 * tp.accumulate(layer.wq(), dq, n, dx);   // dx[t] += Wqᵀ · dq[t] for n tokens
 * }</pre>
 */
public final class TransposedProduct {
    private final WorkerPool pool;
    /**
     * Rows decoded together: each token's gradient slice is read and written once per {@value} rows. With 256 tokens
     * the gradients (2–8 MB) live in L3, so this sets the traffic: 64 rows measured 1.4–1.8× faster than 16.
     */
    private static final int ROW_BLOCK = 64;
    /** Columns of the decoded rows swept over all tokens at a time, so the tile's strip (64 KB) stays in L2. */
    private static final int STRIP = 256;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private final int maxCols;
    /** {@link #ROW_BLOCK} decoded rows; threads own disjoint column ranges of it. */
    private final float[] tile;
    private final Task task = new Task();

    /** @param maxCols the widest weight this will see */
    public TransposedProduct(WorkerPool pool, int maxCols) {
        this.pool = pool;
        this.maxCols = maxCols;
        this.tile = new float[ROW_BLOCK * maxCols];
    }

    /** {@code dx[t·cols ..] += Wᵀ · dy[t·rows ..]} for {@code n} tokens. */
    public void accumulate(Weights w, float[] dy, int n, float[] dx) {
        if (w.cols() > maxCols) throw new IllegalArgumentException("weight of " + w.cols() + " columns exceeds " + maxCols);
        int block = w.type().blockSize();
        int blocks = w.cols() / block;
        int chunks = Math.min(blocks, Math.max(1, pool.threads()));
        task.w = w;
        task.codec = Codecs.of(w.type());
        task.dy = dy;
        task.dx = dx;
        task.n = n;
        task.blocks = blocks;
        task.chunks = chunks;
        pool.parallelFor(chunks, task);
        task.w = null;
        task.dy = task.dx = null;
    }

    /** The scalar reference: {@code dx += Wᵀ·dy} with each row decoded whole. */
    public static void reference(Weights w, float[] dy, int n, float[] dx) {
        float[] row = new float[w.cols()];
        TensorCodec codec = Codecs.of(w.type());
        for (int r = 0; r < w.rows(); r++) {
            codec.dequantizeReference(w.data(), w.rowBytes() * r, row, 0, w.cols());
            for (int t = 0; t < n; t++) {
                float g = dy[t * w.rows() + r];
                for (int c = 0; c < w.cols(); c++) dx[t * w.cols() + c] += g * row[c];
            }
        }
    }

    private final class Task implements RangeTask {
        Weights w;
        TensorCodec codec;
        float[] dy, dx;
        int n, blocks, chunks;

        @Override
        public void run(int start, int end) {
            int block = w.type().blockSize(), rows = w.rows(), cols = w.cols();
            for (int chunk = start; chunk < end; chunk++) {
                int b0 = (int) ((long) blocks * chunk / chunks), b1 = (int) ((long) blocks * (chunk + 1) / chunks);
                int c0 = b0 * block, count = (b1 - b0) * block;
                if (count == 0) continue;
                long colBytes = w.type().bytesFor(c0);
                for (int r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
                    int rb = Math.min(ROW_BLOCK, rows - r0);
                    for (int rr = 0; rr < rb; rr++) {
                        codec.dequantize(w.data(), w.rowBytes() * (r0 + rr) + colBytes, tile, rr * cols + c0, count);
                    }
                    for (int s0 = c0; s0 < c0 + count; s0 += STRIP) {
                        int width = Math.min(STRIP, c0 + count - s0);
                        int t = 0;
                        for (; t + 3 < n; t += 4) {
                            accumulateTileQuad(dy, t * rows + r0, rows, rb, cols, tile, s0, width, dx, t * cols + s0, cols);
                        }
                        for (; t + 1 < n; t += 2) {
                            accumulateTilePair(dy, t * rows + r0, rows, rb, cols, tile, s0, width, dx, t * cols + s0, cols);
                        }
                        if (t < n) accumulateTile(dy, t * rows + r0, rb, cols, tile, s0, width, dx, t * cols + s0);
                    }
                }
            }
        }
    }

    /**
     * {@link #accumulateTile} for four tokens at once: per row, four tile vectors and four broadcast gradients feed 16
     * FMAs (the tile loads are shared by the tokens); the per-element sums are the same.
     */
    static void accumulateTileQuad(float[] dy, int dyOff, int dyStep, int rb, int stride, float[] tile, int c, int width,
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
    static void accumulateTilePair(float[] dy, int dyOff, int dyStep, int rb, int stride, float[] tile, int c, int width,
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
    static void accumulateTile(float[] dy, int dyOff, int rb, int stride, float[] tile, int c, int width, float[] dx, int dxOff) {
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
