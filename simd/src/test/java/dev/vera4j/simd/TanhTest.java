package dev.vera4j.simd;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Tanh}'s vector loops against their one-float references bit for bit (cold and after C2 compiled them: the
 * loops run many rounds), and against double-precision tanh, soft-cap and GELU.
 */
class TanhTest {
    private static float[] inputs(int n, Random rnd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) ((rnd.nextDouble() - 0.5) * Math.pow(2, rnd.nextInt(14) - 6));
        float[] special = {0f, -0f, 0.625f, -0.625f, Math.nextDown(0.625f), 1e-30f, -1e-30f, 9f, -9f, 60f, -60f, 1e4f, -1e4f, Float.NaN};
        System.arraycopy(special, 0, x, 0, special.length);
        return x;
    }

    @Test
    void softCapEqualsItsReferenceAndTheExactValue() {
        Random rnd = new Random(3);
        float cap = 5f;
        for (int round = 0; round < 400; round++) {
            int n = 1 + rnd.nextInt(300);
            float[] x = inputs(Math.max(n, 14), rnd), got = x.clone();
            Tanh.softCap(got, 0, x.length, cap);
            for (int i = 0; i < x.length; i++) {
                float want = cap * Tanh.tanhReference(x[i] * (1f / cap));
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[i]), "softCap(" + x[i] + ")");
                if (Float.isNaN(x[i])) continue;
                double exact = Tanh.softCapExact(x[i], cap);
                assertEquals(exact, got[i], 5e-7 * Math.abs(exact) + 1e-37, "softCap(" + x[i] + ") vs double");
            }
        }
    }

    @Test
    void geluEqualsItsReferenceAndTheExactValue() {
        Random rnd = new Random(4);
        for (int round = 0; round < 400; round++) {
            float[] x = inputs(14 + rnd.nextInt(300), rnd), up = inputs(x.length, rnd), plain = x.clone(), gated = x.clone();
            Tanh.geluGated(plain, 0, null, 0, x.length);
            Tanh.geluGated(gated, 0, up, 0, x.length);
            for (int i = 0; i < x.length; i++) {
                float want = Tanh.geluReference(x[i]);
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(plain[i]), "gelu(" + x[i] + ")");
                assertEquals(Float.floatToRawIntBits(want * up[i]), Float.floatToRawIntBits(gated[i]), "gelu(" + x[i] + ") * up");
                if (Float.isNaN(x[i]) || Math.abs(x[i]) > 1e3f) continue;   // x³ overflows float there; the result is still x or 0
                double exact = Tanh.geluExact(x[i]);
                assertEquals(exact, plain[i], 1e-6 * Math.abs(x[i]) + 1e-37, "gelu(" + x[i] + ") vs double");
            }
        }
    }

    @Test
    void tanhIsOddAndSaturates() {
        for (float x = 0f; x < 12f; x += 0.01f) {
            assertEquals(-Tanh.tanhReference(x), Tanh.tanhReference(-x), 0f);
            assertEquals(Math.tanh(x), Tanh.tanhReference(x), 2.5e-7 * Math.abs(Math.tanh(x)) + 1e-45, "tanh(" + x + ")");
        }
        assertEquals(1f, Tanh.tanhReference(100f));
        assertTrue(Float.isNaN(Tanh.tanhReference(Float.NaN)));
        float[] big = {-1e4f, 1e4f};
        Tanh.geluGated(big, 0, null, 0, 2);
        assertEquals(0f, big[0], 0f);
        assertEquals(1e4f, big[1]);
    }
}
