package dev.vera4j.simd;

import java.lang.foreign.MemorySegment;

/**
 * The parameters of one product, set per call so that the hot path creates no capturing lambda. Each weight type has
 * its own subclass with its own {@link #run}: the JIT then compiles every type's loop separately (a single method
 * calling all kernels would exceed C2's inlining budget and leave vector operations un-intrinsified).
 */
abstract class RowJob implements RangeTask {
    MemorySegment data, packed;
    float[] x, y;
    int xOff, yOff, n, rows, cols;
    long rowBytes;

    final RowJob set(Weights w, float[] x, int xOff, float[] y, int yOff, int n) {
        this.data = w.data();
        this.packed = w.packed();
        this.x = x;
        this.y = y;
        this.xOff = xOff;
        this.yOff = yOff;
        this.n = n;
        this.rows = w.rows();
        this.cols = w.cols();
        this.rowBytes = w.rowBytes();
        return this;
    }

    /** How many units {@link #run} splits its range into: rows, unless the job takes rows in groups. */
    int units() { return rows; }

    /** Drops the references to the caller's arrays and weights once the product is done. */
    final void clear() {
        data = packed = null;
        x = y = null;
    }
}
