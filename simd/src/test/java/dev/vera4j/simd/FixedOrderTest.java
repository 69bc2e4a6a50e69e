package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.vera4j.simd.Vec.F;
import static dev.vera4j.simd.Vec.L;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernels whose bits must not depend on the JIT tier ({@link Sums#ordered}, {@link Exp}, the {@link FloatTile}
 * GEMM) against scalar references doing the same operations in the same order, bit for bit. Scalar Java arithmetic has
 * one result in every tier, so equality here, cold and after C2 has compiled the kernels, is what training's
 * bit-identical resume rests on (TrainCommandTest runs the whole of it under C1 as well).
 */
class FixedOrderTest {
    /** Values spread over many binades, so a different order of adds would round differently. */
    private static float[] spread(int n, Random rnd) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((rnd.nextDouble() - 0.5) * Math.pow(2, rnd.nextInt(40) - 20));
        return a;
    }

    @Test
    void orderedSumIsTheHalvingTree() {
        Random rnd = new Random(11);
        int differsFromSequential = 0;
        for (int round = 0; round < 20_000; round++) {   // enough calls for C2 to compile the loop part way through
            float[] a = spread(L, rnd);
            float got = Sums.ordered(FloatVector.fromArray(F, a, 0));
            assertEquals(Float.floatToRawIntBits(Sums.orderedReference(a, 0, L)), Float.floatToRawIntBits(got), "round " + round);
            float seq = 0;
            for (float v : a) seq += v;
            if (seq != got) differsFromSequential++;
        }
        assertTrue(differsFromSequential > 0, "the inputs never told the tree from a sequential sum");
    }

    @Test
    void expMatchesItsReferenceAndMathExp() {
        Random rnd = new Random(12);
        float[] x = new float[4099], want = new float[x.length];
        for (int round = 0; round < 40; round++) {
            for (int i = 0; i < x.length; i++) x[i] = (float) ((rnd.nextDouble() - 0.5) * 190);
            if (round == 0) {
                float[] special = {0f, -0f, 1f, -1f, Exp.HI, Math.nextUp(Exp.HI), Exp.LO, Math.nextDown(Exp.LO), 88.7f, -100f,
                        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 1e-8f, -1e-8f, 20.5f};
                System.arraycopy(special, 0, x, 0, special.length);
            }
            for (int i = 0; i < x.length; i++) want[i] = Exp.expReference(x[i]);
            float[] got = x.clone();
            int n = x.length - round;   // tails of every length
            float sum = Exp.expShifted(got, 0, n, 0f);
            float[] acc = new float[L];
            for (int i = 0; i < n; i++) acc[i % L] += want[i];
            assertEquals(Float.floatToRawIntBits(Sums.orderedReference(acc, 0, L)), Float.floatToRawIntBits(sum), "sum, n=" + n);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), "exp(" + x[i] + ")");
                float m = (float) Math.exp(x[i]);
                if (x[i] >= Exp.LO && x[i] <= Exp.HI) {
                    assertTrue(Math.abs(got[i] - m) <= 2 * Math.ulp(m), "exp(" + x[i] + ") = " + got[i] + ", Math.exp " + m);
                }
            }
            if (n < x.length) assertEquals(x[n], got[n], "untouched past n");
            float[] up = spread(x.length, rnd), silu = x.clone(), swiglu = x.clone();
            Exp.silu(silu, 0, null, 0, n);
            Exp.silu(swiglu, 0, up, 0, n);
            for (int i = 0; i < n; i++) {
                float s1 = x[i] / (Exp.expReference(-x[i]) + 1f);
                assertEquals(Float.floatToRawIntBits(s1), Float.floatToRawIntBits(silu[i]), "silu(" + x[i] + ")");
                assertEquals(Float.floatToRawIntBits(s1 * up[i]), Float.floatToRawIntBits(swiglu[i]), "swiglu(" + x[i] + ")");
            }
        }
        assertEquals(Float.POSITIVE_INFINITY, Exp.expReference(100f));
        assertEquals(0f, Exp.expReference(-100f));
        assertTrue(Float.isNaN(Exp.expReference(Float.NaN)));
    }

    @Test
    void tilesMatchAnOrderedScalarModel() {
        Random rnd = new Random(13);
        for (int round = 0; round < 300; round++) {
            int kc = round % 3 == 0 ? 1024 : 1 + rnd.nextInt(200);
            int ws = kc + 3, xs = kc + 1, ys = 6;
            float[] w = spread(4 * ws, rnd), x = spread(4 * xs, rnd);
            boolean add = round % 2 == 1;
            float[] init = spread(4 * ys, rnd);
            float[] y = init.clone();
            FloatTile.tile4x4(w, 0, ws, x, 0, xs, kc, y, 0, ys, add);
            for (int r = 0; r < 4; r++) for (int t = 0; t < 4; t++) check(y[t * ys + r], init[t * ys + r], w, r * ws, x, t * xs, kc, add);
            y = init.clone();
            FloatTile.tile4x1(w, 0, ws, x, 0, kc, y, 0, add);
            for (int r = 0; r < 4; r++) check(y[r], init[r], w, r * ws, x, 0, kc, add);
            y = init.clone();
            FloatTile.tile1x4(w, 0, x, 0, xs, kc, y, 0, ys, add);
            for (int t = 0; t < 4; t++) check(y[t * ys], init[t * ys], w, 0, x, t * xs, kc, add);
            y = init.clone();
            FloatTile.tile1x1(w, 0, x, 0, kc, y, 0, add);
            check(y[0], init[0], w, 0, x, 0, kc, add);
        }
    }

    /** One vector accumulator of FMAs lane by lane, summed in {@link Sums#ordered}'s order, then the tail by FMAs. */
    private static void check(float got, float before, float[] w, int wo, float[] x, int xo, int kc, boolean add) {
        float[] acc = new float[L];
        int k = 0, end = kc - kc % L;
        for (; k < end; k += L) for (int i = 0; i < L; i++) acc[i] = Math.fma(w[wo + k + i], x[xo + k + i], acc[i]);
        float s = Sums.orderedReference(acc, 0, L);
        for (; k < kc; k++) s = Math.fma(w[wo + k], x[xo + k], s);
        float want = add ? before + s : s;
        assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), "kc=" + kc + " add=" + add);
    }
}
