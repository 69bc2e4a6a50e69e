package dev.vera4j.simd;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The vector dot, axpy and widening of halves against the scalar references, for lengths with and without tails. */
class HalvesTest {
    @Test
    void dotAxpyAndWidenMatchTheReferences() {
        Random rnd = new Random(21);
        for (int n : new int[]{1, 7, 16, 31, 64, 128, 133}) {
            short[] h = new short[n + 5];
            for (int i = 0; i < h.length; i++) {
                float v = (float) rnd.nextGaussian() * (i % 7 == 0 ? 1e-6f : 3f);   // some subnormal halves too
                h[i] = Float.floatToFloat16(v);
            }
            float[] x = TestWeights.randomVector(n + 3, rnd);
            double ref = Halves.dotReference(h, 4, x, 2, n), mag = 0;
            for (int i = 0; i < n; i++) mag += Math.abs((double) Float.float16ToFloat(h[4 + i]) * x[2 + i]);
            assertEquals(ref, Halves.dot(h, 4, x, 2, n), 1e-6 * mag + 1e-30, "dot n=" + n);

            float[] y = TestWeights.randomVector(n + 1, rnd), yRef = y.clone();
            Halves.axpy(0.37f, h, 4, y, 1, n);
            Halves.axpyReference(0.37f, h, 4, yRef, 1, n);
            for (int i = 0; i <= n; i++) assertEquals(yRef[i], y[i], 1e-6f * (1 + Math.abs(yRef[i])), "axpy n=" + n + " at " + i);

            float[] w = new float[n + 2];
            w[n + 1] = 5f;
            Halves.widen(h, 4, w, 1, n);
            for (int i = 0; i < n; i++) assertEquals(Float.float16ToFloat(h[4 + i]), w[1 + i], "widen n=" + n + " at " + i);
            assertEquals(0f, w[0]);
            assertEquals(5f, w[n + 1]);
        }
    }
}
