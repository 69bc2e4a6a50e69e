package dev.vera4j.vera;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vera4j.vera.peft.PeftImporter;
import dev.vera4j.vera.peft.PeftVeraAdapter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VeraDeltaTest {

    static float[] random(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }

    /** Brute force: materialize ΔW = diag(λ_b)·B_l·diag(λ_d)·A_l as explicit matrix products, then ΔW·x. */
    static double[] bruteForce(Projections.View v, VeraLambdas l, float[] x, int xOff) {
        int r = v.rank();
        double[][] bd = new double[v.out()][r];        // diag(λ_b) · B_l
        for (int o = 0; o < v.out(); o++) {
            for (int i = 0; i < r; i++) {
                bd[o][i] = l.lambdaB()[o] * (double) v.b(o, i);
            }
        }
        double[][] da = new double[r][v.in()];         // diag(λ_d) · A_l
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < v.in(); j++) {
                da[i][j] = l.lambdaD()[i] * (double) v.a(i, j);
            }
        }
        double[] y = new double[v.out()];
        for (int o = 0; o < v.out(); o++) {
            for (int j = 0; j < v.in(); j++) {
                double w = 0;
                for (int i = 0; i < r; i++) {
                    w += bd[o][i] * da[i][j];
                }
                y[o] += w * x[xOff + j];
            }
        }
        return y;
    }

    static void assertClose(double[] expected, double[] actual, double relTol, String what) {
        assertEquals(expected.length, actual.length, what);
        double scale = 0;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], relTol * Math.max(scale, 1e-300), what + "[" + i + "]");
        }
    }

    @Test
    void matchesDenseProductOnSlicedLayers() {
        Random rnd = new Random(7);
        Projections p = Projections.generate(11, 16, 96, 80, Projections.Rounding.FUSED);
        for (int[] shape : new int[][] {{96, 80}, {64, 32}, {96, 8}, {1, 1}}) {
            Projections.View v = p.view(shape[0], shape[1]);
            VeraLambdas l = new VeraLambdas(random(rnd, shape[1]), random(rnd, 16));
            float[] x = random(rnd, shape[0] + 5);
            assertClose(bruteForce(v, l, x, 5), VeraDelta.apply(v, l, x, 5), 1e-12, "Δy " + shape[0] + "x" + shape[1]);

            double[] dw = VeraDelta.denseDelta(v, l);
            double[] viaDense = new double[v.out()];
            for (int o = 0; o < v.out(); o++) {
                for (int j = 0; j < v.in(); j++) {
                    viaDense[o] += dw[o * v.in() + j] * x[5 + j];
                }
            }
            assertClose(bruteForce(v, l, x, 5), viaDense, 1e-12, "ΔW·x " + shape[0] + "x" + shape[1]);
        }
    }

    @Test
    void batchRowsAreIndependent() {
        Random rnd = new Random(3);
        Projections.View v = Projections.generate(0, 8, 24, 12, Projections.Rounding.FUSED).view(20, 10);
        VeraLambdas l = new VeraLambdas(random(rnd, 10), random(rnd, 8));
        float[] x = random(rnd, 2 + 3 * 20);
        double[] batch = VeraDelta.apply(v, l, x, 2, 3);
        for (int t = 0; t < 3; t++) {
            double[] one = VeraDelta.apply(v, l, x, 2 + t * 20);
            for (int o = 0; o < 10; o++) {
                assertEquals(one[o], batch[t * 10 + o], 0.0);
            }
        }
    }

    @Test
    void handComputedRankOneCase() {
        // A = [1 2 | 9], B = [3; 4; | 9]: sliced to in=2, out=2; λ_d = 0.5, λ_b = (2, -1), x = (1, 1)
        Projections p = Projections.of(1, 3, 3, new float[] {1, 2, 9}, new float[] {3, 4, 9});
        VeraLambdas l = new VeraLambdas(new float[] {2, -1}, new float[] {0.5f});
        assertArrayEquals(new double[] {9, -6}, VeraDelta.apply(p.view(2, 2), l, new float[] {1, 1}, 0));
        assertArrayEquals(new double[] {3, 6, -2, -4}, VeraDelta.denseDelta(p.view(2, 2), l));
    }

    @Test
    void peftInitializationAddsNothing() {
        Random rnd = new Random(1);
        Projections.View v = Projections.generate(0, 32, 64, 64, Projections.Rounding.FUSED).view(64, 48);
        double[] dy = VeraDelta.apply(v, VeraLambdas.initial(48, 32, 0.1f), random(rnd, 64), 0);
        for (double d : dy) {
            assertEquals(0.0, d, 0.0);
        }
    }

    /** Against PEFT's forward term computed by numpy in make_tiny_adapters.py on the stored vera_A/vera_B. */
    @Test
    void matchesPeftForwardOnTinyAdapter() throws Exception {
        Path res = Path.of(VeraDeltaTest.class.getResource("peft/tiny-vera-saved").toURI());
        PeftVeraAdapter adapter = PeftImporter.read(res);
        Projections p = adapter.projections().orElseThrow();
        List<String> lines = Files.readAllLines(res.resolveSibling("tiny-vera-saved-delta.txt"));
        assertEquals(6, lines.size());
        for (String line : lines) {
            String[] parts = line.split(" \\| ");
            String[] head = parts[0].split(" ");
            VeraSite site = new VeraSite(Integer.parseInt(head[0]), VeraTarget.parse(head[1]));
            String[] xs = parts[1].split(" ");
            String[] ys = parts[2].split(" ");
            float[] x = new float[xs.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = Float.intBitsToFloat(Integer.parseUnsignedInt(xs[i], 16));
            }
            double[] expected = new double[ys.length];
            for (int i = 0; i < ys.length; i++) {
                expected[i] = Double.parseDouble(ys[i]);
            }
            VeraLambdas l = adapter.lambdas().get(site);
            assertClose(expected, VeraDelta.apply(p.view(x.length, l.out()), l, x, 0), 1e-13, site.toString());
        }
    }

    @Test
    void rejectsMismatchedShapes() {
        Projections.View v = Projections.generate(0, 4, 8, 8, Projections.Rounding.FUSED).view(8, 6);
        assertThrows(IllegalArgumentException.class,
                () -> VeraDelta.apply(v, new VeraLambdas(new float[5], new float[4]), new float[8], 0));
        assertThrows(IllegalArgumentException.class,
                () -> VeraDelta.apply(v, new VeraLambdas(new float[6], new float[3]), new float[8], 0));
        assertThrows(IllegalArgumentException.class,
                () -> VeraDelta.apply(v, new VeraLambdas(new float[6], new float[4]), new float[8], 1));
        assertThrows(IllegalArgumentException.class,
                () -> VeraDelta.denseDelta(v, new VeraLambdas(new float[7], new float[4])));
    }
}
