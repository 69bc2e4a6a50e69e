package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;

import java.lang.foreign.MemorySegment;

import static dev.vera4j.simd.Vec.*;

/**
 * Q8_0 rows against int8-quantized activations ({@link Int8Activations}): per block the 32 signed weight bytes as two
 * 16-lane short vectors times the activation shorts, both halves added in shorts (at most 2·128·127 = 32512, no
 * overflow), converted to float once and scaled by {@code d_w·d_x}.
 */
final class Q8IntDot {
    private Q8IntDot() {}

    static float dot(MemorySegment w, long off, Int8Activations a, int bo, int nb) {
        return dotBlocks(w, off, a.q, a.d, bo, nb);
    }

    static float dotBlocks(MemorySegment w, long off, short[] q, float[] d, int bo, int nb) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int b = 0;
        for (; b + 2 <= nb; b += 2) {
            long p = off + 34L * b;
            int qi = 32 * (bo + b);
            ShortVector s0 = Int8.signed(w, p + 2).mul(ShortVector.fromArray(Int8.S16, q, qi))
                    .add(Int8.signed(w, p + 18).mul(ShortVector.fromArray(Int8.S16, q, qi + 16)));
            ShortVector s1 = Int8.signed(w, p + 36).mul(ShortVector.fromArray(Int8.S16, q, qi + 32))
                    .add(Int8.signed(w, p + 52).mul(ShortVector.fromArray(Int8.S16, q, qi + 48)));
            a0 = Int8.toFloat(s0).fma(FloatVector.broadcast(F, f16(w, p) * d[bo + b]), a0);
            a1 = Int8.toFloat(s1).fma(FloatVector.broadcast(F, f16(w, p + 34) * d[bo + b + 1]), a1);
        }
        if (b < nb) {
            long p = off + 34L * b;
            int qi = 32 * (bo + b);
            ShortVector s0 = Int8.signed(w, p + 2).mul(ShortVector.fromArray(Int8.S16, q, qi))
                    .add(Int8.signed(w, p + 18).mul(ShortVector.fromArray(Int8.S16, q, qi + 16)));
            a0 = Int8.toFloat(s0).fma(FloatVector.broadcast(F, f16(w, p) * d[bo + b]), a0);
        }
        return Sums.sum(a0, a1);
    }

    /** Scalar reference of the same arithmetic: {@code Σ_b d_w·d_x·Σ q_w·q_x}, in double. */
    static double dotReference(MemorySegment w, long off, short[] q, float[] d, int bo, int nb) {
        double s = 0;
        for (int b = 0; b < nb; b++) {
            long p = off + 34L * b;
            long isum = 0;
            for (int j = 0; j < 32; j++) isum += (long) w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, p + 2 + j) * q[32 * (bo + b) + j];
            s += (double) f16(w, p) * d[bo + b] * isum;
        }
        return s;
    }

    /** Rows {@code [start, end)} of every token. */
    static final class Job extends RowJob {
        Int8Activations acts;

        @Override
        public void run(int start, int end) {
            MemorySegment w = data;
            Int8Activations a = acts;
            float[] y = this.y;
            int nb = cols / 32;
            for (int t = 0; t < n; t++) {
                for (int r = start; r < end; r++) y[yOff + t * rows + r] = dot(w, rowBytes * r, a, t * nb, nb);
            }
        }
    }
}
