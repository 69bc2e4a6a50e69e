package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * Products of GGUF weight matrices with activations, split by rows over a {@link WorkerPool}. One instance per
 * session (not thread-safe): it owns the task object and scratch, so a product allocates nothing.
 *
 * <pre>{@code
 * var mm = new MatMul(pool, maxCols, maxTokens);
 * mm.matVec(Weights.of(file.tensor("blk.0.attn_q.weight")), x, y);   // y = W·x
 * mm.matMul(w, xs, ys, n);                                            // ys[t] = W·xs[t] for n tokens
 * }</pre>
 *
 * <p>F32, F16, BF16, Q8_0, Q4_0, Q4_K and Q6_K have Vector API kernels that read the weights straight from the
 * mapping, widen them to floats in registers and FMA with the float activations (see {@code *Dot} classes); for
 * several tokens each row is decoded once per four tokens. On hardware without 256-bit vectors, and for the other
 * types, a row is dequantized into a float scratch row and dotted with each token.
 */
public final class MatMul {
    private final WorkerPool pool;
    private final int maxCols;
    private final int maxTokens;
    private final Job job = new Job();
    private final ThreadLocal<float[]> rowScratch;

    /** @param maxCols the widest input any product will see; @param maxTokens the most tokens in one {@link #matMul} */
    public MatMul(WorkerPool pool, int maxCols, int maxTokens) {
        if (maxCols < 1 || maxTokens < 1) throw new IllegalArgumentException("maxCols and maxTokens must be >= 1, got " + maxCols + ", " + maxTokens);
        this.pool = pool;
        this.maxCols = maxCols;
        this.maxTokens = maxTokens;
        this.rowScratch = ThreadLocal.withInitial(() -> new float[maxCols]);
    }

    /** Whether {@code type} has a vector kernel (the other types go through the slower dequantize-row path). */
    public static boolean hasKernel(GgmlType type) {
        return Vec.ENABLED && Dequant.supports(type);
    }

    /** {@code y[r] = Σ_k W[r,k]·x[k]} for every row of {@code w}. */
    public void matVec(Weights w, float[] x, float[] y) {
        matMul(w, x, 0, y, 0, 1);
    }

    /** {@code y[t·rows + r] = Σ_k W[r,k]·x[t·cols + k]} for {@code n} tokens. */
    public void matMul(Weights w, float[] x, float[] y, int n) {
        matMul(w, x, 0, y, 0, n);
    }

    /** As {@link #matMul(Weights, float[], float[], int)} with token rows starting at {@code x[xOff]} and {@code y[yOff]}. */
    public void matMul(Weights w, float[] x, int xOff, float[] y, int yOff, int n) {
        int rows = w.rows(), cols = w.cols();
        if (n < 0 || n > maxTokens) throw new IllegalArgumentException("token count " + n + " outside 0.." + maxTokens);
        if (cols > maxCols) throw new IllegalArgumentException("weights have " + cols + " columns, more than maxCols " + maxCols);
        if (xOff < 0 || (long) xOff + (long) n * cols > x.length) {
            throw new IllegalArgumentException("input of " + x.length + " floats is too short for " + n + " tokens of " + cols + " at " + xOff);
        }
        if (yOff < 0 || (long) yOff + (long) n * rows > y.length) {
            throw new IllegalArgumentException("output of " + y.length + " floats is too short for " + n + " tokens of " + rows + " at " + yOff);
        }
        if (n == 0 || rows == 0) return;
        if (!Vec.ENABLED || !Dequant.supports(w.type())) checkFallback(w.type());
        job.set(w, x, xOff, y, yOff, n);
        try {
            pool.parallelFor(rows, job);
        } finally {
            job.clear();
        }
    }

    private static void checkFallback(GgmlType type) {
        if (!Dequant.supports(type)) throw new UnsupportedOperationException("no matrix product for weights of type " + type);
    }

    /** Kernel selector per type: a small int switched on per row. */
    private static int kind(GgmlType type) {
        if (!Vec.ENABLED) return 0;
        return switch (type) {
            case F32 -> 1;
            case F16 -> 2;
            case BF16 -> 3;
            case Q8_0 -> 4;
            case Q4_0 -> 5;
            case Q4_K -> 6;
            case Q6_K -> 7;
            default -> 0;
        };
    }

    /** The product's parameters, set per call so that no capturing lambda is created on the hot path. */
    private final class Job implements RangeTask {
        private Weights w;
        private MemorySegment data;
        private float[] x, y;
        private int xOff, yOff, n, kind, rows, cols;
        private long rowBytes;

        void set(Weights w, float[] x, int xOff, float[] y, int yOff, int n) {
            this.w = w;
            this.data = w.data();
            this.x = x;
            this.y = y;
            this.xOff = xOff;
            this.yOff = yOff;
            this.n = n;
            this.kind = kind(w.type());
            this.rows = w.rows();
            this.cols = w.cols();
            this.rowBytes = w.rowBytes();
        }

        void clear() {
            w = null;
            data = null;
            x = y = null;
        }

        @Override
        public void run(int start, int end) {
            if (kind == 0) {
                fallback(start, end);
                return;
            }
            MemorySegment d = data;
            float[] x = this.x, y = this.y;
            int n = this.n, cols = this.cols, rows = this.rows, kind = this.kind;
            for (int r = start; r < end; r++) {
                long off = rowBytes * r;
                int t = 0;
                for (; t + 4 <= n; t += 4) dot4(kind, d, off, x, xOff + t * cols, cols, y, yOff + t * rows + r, rows);
                for (; t < n; t++) y[yOff + t * rows + r] = dot(kind, d, off, x, xOff + t * cols, cols);
            }
        }

        private void fallback(int start, int end) {
            float[] row = rowScratch.get();
            for (int r = start; r < end; r++) {
                Dequant.row(w.type(), data, rowBytes * r, row, 0, cols);
                for (int t = 0; t < n; t++) {
                    int xo = xOff + t * cols;
                    float s = 0;
                    for (int k = 0; k < cols; k++) s += row[k] * x[xo + k];
                    y[yOff + t * rows + r] = s;
                }
            }
        }
    }

    private static float dot(int kind, MemorySegment w, long off, float[] x, int xo, int cols) {
        return switch (kind) {
            case 1 -> F32Dot.dot(w, off, x, xo, cols);
            case 2 -> F16Dot.dot(w, off, x, xo, cols);
            case 3 -> Bf16Dot.dot(w, off, x, xo, cols);
            case 4 -> Q8Dot.dot(w, off, x, xo, cols);
            case 5 -> Q4Dot.dot(w, off, x, xo, cols);
            case 6 -> Q4KDot.dot(w, off, x, xo, cols);
            default -> Q6KDot.dot(w, off, x, xo, cols);
        };
    }

    private static void dot4(int kind, MemorySegment w, long off, float[] x, int xo, int cols, float[] y, int yo, int ys) {
        switch (kind) {
            case 1 -> F32Dot.dot4(w, off, x, xo, cols, y, yo, ys);
            case 2 -> F16Dot.dot4(w, off, x, xo, cols, y, yo, ys);
            case 3 -> Bf16Dot.dot4(w, off, x, xo, cols, y, yo, ys);
            case 4 -> Q8Dot.dot4(w, off, x, xo, cols, y, yo, ys);
            case 5 -> Q4Dot.dot4(w, off, x, xo, cols, y, yo, ys);
            case 6 -> Q4KDot.dot4(w, off, x, xo, cols, y, yo, ys);
            default -> Q6KDot.dot4(w, off, x, xo, cols, y, yo, ys);
        }
    }
}
