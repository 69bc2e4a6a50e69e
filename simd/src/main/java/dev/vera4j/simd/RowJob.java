package dev.vera4j.simd;

import java.lang.foreign.MemorySegment;

/**
 * The parameters of one product, set per call so that the hot path creates no capturing lambda. Each weight type has
 * its own subclass with its own {@link #run}: the JIT then compiles every type's loop separately (a single method
 * calling all kernels would exceed C2's inlining budget and leave vector operations un-intrinsified).
 */
abstract class RowJob implements RangeTask {
    /** Rows per block when several tokens share a pass (their weights stay in L2 across column chunks). */
    static final int ROW_BLOCK = 16;

    MemorySegment data;
    float[] x, y;
    int xOff, yOff, n, rows, cols;
    long rowBytes;
    int blockSize, typeSize;

    final RowJob set(Weights w, float[] x, int xOff, float[] y, int yOff, int n) {
        this.data = w.data();
        this.x = x;
        this.y = y;
        this.xOff = xOff;
        this.yOff = yOff;
        this.n = n;
        this.rows = w.rows();
        this.cols = w.cols();
        this.rowBytes = w.rowBytes();
        this.blockSize = w.type().blockSize();
        this.typeSize = w.type().typeSize();
        return this;
    }

    /**
     * Columns per chunk for {@code n} tokens: about 32 KiB of activations ({@code n × chunk} floats), a multiple of
     * 256 (whole blocks of every type), at least 256.
     */
    final int chunk(int n) {
        int c = Math.max(256, (8192 / n) & ~255);
        return Math.min(c, cols);
    }

    /** Byte offset of column {@code k} (a multiple of the block size) within a row. */
    final long byteOffset(int k) {
        return (long) (k / blockSize) * typeSize;
    }

    /** Drops the references to the caller's arrays and weights once the product is done. */
    final void clear() {
        data = null;
        x = y = null;
    }
}
