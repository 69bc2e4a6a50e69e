package dev.vera4j.simd;

import java.lang.foreign.MemorySegment;

/**
 * Rows {@code [start, end)} of a one-token product through one of the 256-bit int8 kernels ({@link Narrow}); a product
 * of several tokens would take each token in turn against its own quantized activations. The kernel is a plain call
 * per row: no vector crosses it, so nothing is boxed even where C2 does not inline it.
 */
final class NarrowJob extends Int8Job {
    /** One row of {@code nb} blocks of 32 from byte {@code off} against the activation blocks from {@code bo}. */
    @FunctionalInterface
    interface Kernel {
        float dot(MemorySegment w, long off, Int8Activations a, int bo, int nb);
    }

    private final Kernel kernel;

    NarrowJob(Kernel kernel) { this.kernel = kernel; }

    @Override
    int layouts() { return Int8Activations.BLOCKS; }

    @Override
    public void run(int start, int end) {
        MemorySegment w = data;
        Int8Activations a = acts;
        float[] y = this.y;
        int nb = cols / 32;
        for (int t = 0; t < n; t++) {
            for (int r = start; r < end; r++) y[yOff + t * rows + r] = kernel.dot(w, rowBytes * r, a, t * nb, nb);
        }
    }
}
