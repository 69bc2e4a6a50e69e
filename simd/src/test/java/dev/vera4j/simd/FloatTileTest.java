package dev.vera4j.simd;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each micro-kernel against {@link FloatTile#reference}, for column runs with and without a scalar tail. */
class FloatTileTest {
    @Test
    void tilesMatchTheReference() {
        Random rnd = new Random(3);
        for (int kc : new int[]{1, 15, 16, 17, 48, 100, 1024}) {
            int ws = kc + 5, xs = kc + 3;   // strides wider than the run, as in a column chunk of a wider matrix
            float[] w = TestWeights.randomVector(4 * ws + 2, rnd), x = TestWeights.randomVector(4 * xs + 1, rnd);
            int ys = 7;
            for (boolean add : new boolean[]{false, true}) {
                float[] y = new float[4 * ys + 4];
                java.util.Arrays.fill(y, add ? 0.5f : Float.NaN);
                FloatTile.tile4x4(w, 2, ws, x, 1, xs, kc, y, 0, ys, add);
                for (int r = 0; r < 4; r++) for (int t = 0; t < 4; t++) check(y[t * ys + r], w, 2 + r * ws, x, 1 + t * xs, kc, add, "4x4 r" + r + " t" + t);

                java.util.Arrays.fill(y, add ? 0.5f : Float.NaN);
                FloatTile.tile2x4(w, 2, ws, x, 1, xs, kc, y, 0, ys, add);
                for (int r = 0; r < 2; r++) for (int t = 0; t < 4; t++) check(y[t * ys + r], w, 2 + r * ws, x, 1 + t * xs, kc, add, "2x4 r" + r + " t" + t);

                java.util.Arrays.fill(y, add ? 0.5f : Float.NaN);
                FloatTile.tile4x1(w, 2, ws, x, 1, kc, y, 3, add);
                for (int r = 0; r < 4; r++) check(y[3 + r], w, 2 + r * ws, x, 1, kc, add, "4x1 r" + r);

                java.util.Arrays.fill(y, add ? 0.5f : Float.NaN);
                FloatTile.tile1x4(w, 2, x, 1, xs, kc, y, 1, ys, add);
                for (int t = 0; t < 4; t++) check(y[1 + t * ys], w, 2, x, 1 + t * xs, kc, add, "1x4 t" + t);

                java.util.Arrays.fill(y, add ? 0.5f : Float.NaN);
                FloatTile.tile1x1(w, 2, x, 1, kc, y, 0, add);
                check(y[0], w, 2, x, 1, kc, add, "1x1");
            }
        }
    }

    /** An output's bits do not depend on the tile that computes it (so not on how rows fall to threads or tiles). */
    @Test
    void everyTileGivesTheSameBits() {
        Random rnd = new Random(5);
        for (int kc : new int[]{7, 64, 100, 1024}) {
            int ws = kc + 5, xs = kc + 3, ys = 7;
            float[] w = TestWeights.randomVector(4 * ws + 2, rnd), x = TestWeights.randomVector(4 * xs + 1, rnd);
            float[] four = new float[4 * ys], two = new float[4 * ys], one = new float[4 * ys];
            FloatTile.tile4x4(w, 2, ws, x, 1, xs, kc, four, 0, ys, false);
            FloatTile.tile2x4(w, 2, ws, x, 1, xs, kc, two, 0, ys, false);
            FloatTile.tile2x4(w, 2 + 2 * ws, ws, x, 1, xs, kc, two, 2, ys, false);
            for (int r = 0; r < 4; r++) for (int t = 0; t < 4; t++) FloatTile.tile1x1(w, 2 + r * ws, x, 1 + t * xs, kc, one, t * ys + r, false);
            for (int r = 0; r < 4; r++) {
                for (int t = 0; t < 4; t++) {
                    int i = t * ys + r;
                    assertEquals(Float.floatToRawIntBits(one[i]), Float.floatToRawIntBits(four[i]), "4x4 kc=" + kc + " r" + r + " t" + t);
                    assertEquals(Float.floatToRawIntBits(one[i]), Float.floatToRawIntBits(two[i]), "2x4 kc=" + kc + " r" + r + " t" + t);
                }
            }
        }
    }

    private static void check(float got, float[] w, int wo, float[] x, int xo, int kc, boolean add, String what) {
        double expected = FloatTile.reference(w, wo, x, xo, kc) + (add ? 0.5 : 0);
        double mag = 0.5;
        for (int k = 0; k < kc; k++) mag += Math.abs((double) w[wo + k] * x[xo + k]);
        assertTrue(Math.abs(got - expected) <= 1e-5 * mag, what + " kc=" + kc + " add=" + add + ": got " + got + ", expected " + expected);
    }
}
