package dev.vera4j.vera.train;

import dev.vera4j.gguf.types.Codecs;
import dev.vera4j.gguf.types.TensorCodec;
import dev.vera4j.simd.RangeTask;
import dev.vera4j.simd.Weights;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.vera.VeraKernels;

/**
 * {@code dx += Wᵀ·dy} for a frozen (possibly quantized) weight, read straight from its mapped rows: each row is
 * decoded once per column range into a small scratch and accumulated into the input gradients of all tokens, so no
 * dequantized copy of W ever exists. Threads split the columns (in whole quantization blocks), so they never write
 * the same output and the result does not depend on the thread count. One instance per trainer; not thread-safe.
 *
 * <pre>{@code
 * TransposedProduct tp = new TransposedProduct(pool, 4096);
 * tp.accumulate(layer.wq(), dq, n, dx);   // dx[t] += Wqᵀ · dq[t] for n tokens
 * }</pre>
 */
public final class TransposedProduct {
    private final WorkerPool pool;
    private final float[] rowScratch;
    private final Task task = new Task();

    /** @param maxCols the widest weight this will see */
    public TransposedProduct(WorkerPool pool, int maxCols) {
        this.pool = pool;
        this.rowScratch = new float[maxCols];
    }

    /** {@code dx[t·cols ..] += Wᵀ · dy[t·rows ..]} for {@code n} tokens. */
    public void accumulate(Weights w, float[] dy, int n, float[] dx) {
        if (w.cols() > rowScratch.length) throw new IllegalArgumentException("weight of " + w.cols() + " columns exceeds " + rowScratch.length);
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
                for (int r = 0; r < rows; r++) {
                    codec.dequantize(w.data(), w.rowBytes() * r + colBytes, rowScratch, c0, count);
                    for (int t = 0; t < n; t++) {
                        float g = dy[t * rows + r];
                        if (g != 0f) VeraKernels.axpy(g, rowScratch, c0, dx, t * cols + c0, count);
                    }
                }
            }
        }
    }
}
