package dev.vera4j.simd;

import java.lang.foreign.MemorySegment;

/**
 * Rows {@code [start, end)} of a product of one to {@link Tuning#NARROW_MAX_TOKENS} tokens through one of the 256-bit
 * int8 kernels ({@link Narrow}): each row against each token's quantized activations in turn, so that the row's
 * weights are read from memory once. (A kernel that decodes a row once for two tokens measured slower per token than
 * two calls of the one-token kernel: these kernels are bound by the per-token arithmetic, not by decoding.) The
 * kernel is a plain call per row: no vector crosses it, so nothing is boxed even where C2 does not inline it.
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
        for (int r = start; r < end; r++) {
            for (int t = 0; t < n; t++) y[yOff + t * rows + r] = kernel.dot(w, rowBytes * r, a, t * nb, nb);
        }
    }
}
