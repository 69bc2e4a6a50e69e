package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static dev.vera4j.simd.Vec.*;

/**
 * Q4_0 rows against int8-quantized activations ({@link Int8Activations}), llama.cpp's formulation: per block the
 * integer sum {@code Σ q_w·q_x} (nibbles 0..15 as 16-bit lanes: the low plane meets values 0..15, the high plane
 * values 16..31, both products added in shorts, at most 2·15·127), converted to float once and scaled by
 * {@code d_w·d_x}; the nibble offset 8 is taken out once per row as {@code 8·Σ d_w·(d_x·Σq_x)}.
 * Most operations are on 256-bit short vectors instead of two 512-bit float vectors per block, which is where the
 * gain over {@link Q4Dot} comes from (1.2× in CPU time on AMD EPYC with AVX-512, see BENCHMARKS.md).
 */
final class Q4IntDot {
    private Q4IntDot() {}

    static float dot(MemorySegment w, long off, short[] q, float[] d, float[] ds, int bo, int nb) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        float corr = 0;
        int b = 0;
        for (; b + 2 <= nb; b += 2) {
            long p = off + 18L * b;
            int qi = 32 * (bo + b);
            float dw0 = f16(w, p), dw1 = f16(w, p + 18);
            ShortVector w0 = Int8.nibbles(w, p + 2), w1 = Int8.nibbles(w, p + 20);
            ShortVector s0 = w0.and((short) 15).mul(ShortVector.fromArray(Int8.S16, q, qi))
                    .add(w0.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(Int8.S16, q, qi + 16)));
            ShortVector s1 = w1.and((short) 15).mul(ShortVector.fromArray(Int8.S16, q, qi + 32))
                    .add(w1.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(Int8.S16, q, qi + 48)));
            a0 = Int8.toFloat(s0).fma(FloatVector.broadcast(F, dw0 * d[bo + b]), a0);
            a1 = Int8.toFloat(s1).fma(FloatVector.broadcast(F, dw1 * d[bo + b + 1]), a1);
            corr += dw0 * ds[bo + b] + dw1 * ds[bo + b + 1];
        }
        if (b < nb) {
            long p = off + 18L * b;
            int qi = 32 * (bo + b);
            float dw0 = f16(w, p);
            ShortVector w0 = Int8.nibbles(w, p + 2);
            ShortVector s0 = w0.and((short) 15).mul(ShortVector.fromArray(Int8.S16, q, qi))
                    .add(w0.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(Int8.S16, q, qi + 16)));
            a0 = Int8.toFloat(s0).fma(FloatVector.broadcast(F, dw0 * d[bo + b]), a0);
            corr += dw0 * ds[bo + b];
        }
        return Sums.sum(a0, a1) - 8 * corr;
    }

    /** Scalar reference of the same arithmetic: {@code Σ_b d_w·d_x·Σ (q_w − 8)·q_x}, in double. */
    static double dotReference(MemorySegment w, long off, short[] q, float[] d, int bo, int nb) {
        double s = 0;
        for (int b = 0; b < nb; b++) {
            long p = off + 18L * b;
            long isum = 0;
            for (int j = 0; j < 16; j++) {
                int v = w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, p + 2 + j) & 0xff;
                isum += (long) ((v & 15) - 8) * q[32 * (bo + b) + j] + (long) ((v >>> 4) - 8) * q[32 * (bo + b) + j + 16];
            }
            s += (double) f16(w, p) * d[bo + b] * isum;
        }
        return s;
    }

    /** Rows {@code [start, end)} of one token. */
    static final class Job extends RowJob {
        Int8Activations acts;

        @Override
        public void run(int start, int end) {
            MemorySegment w = data;
            short[] q = acts.q;
            float[] d = acts.d, ds = acts.ds, y = this.y;
            int nb = cols / 32;
            for (int t = 0; t < n; t++) {
                for (int r = start; r < end; r++) y[yOff + t * rows + r] = dot(w, rowBytes * r, q, d, ds, t * nb, nb);
            }
        }
    }
}
