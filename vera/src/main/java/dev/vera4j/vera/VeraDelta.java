package dev.vera4j.vera;

/**
 * The scalar reference for what a VeRA adapter adds to a linear layer's output, in double precision:
 * {@code Δy = λ_b ⊙ (B_l · (λ_d ⊙ (A_l · x)))} with {@code A_l = A[:, :in]} and {@code B_l = B[:out, :]}, as PEFT's
 * {@code vera.Linear.forward} computes it. Fast paths are checked against this; it favours clarity over speed.
 *
 * <pre>{@code
 * Projections.View v = projections.view(in, out);
 * double[] dy = VeraDelta.apply(v, lambdas, x, 0);          // out values
 * double[] dW = VeraDelta.denseDelta(v, lambdas);            // out x in, row-major: what merging adds to W
 * }</pre>
 */
public final class VeraDelta {
    private VeraDelta() {}

    /**
     * {@code Δy} for one input vector {@code x[xOff .. xOff + in)}.
     *
     * @throws IllegalArgumentException if λ lengths do not match the view or {@code x} is too short
     */
    public static double[] apply(Projections.View v, VeraLambdas l, float[] x, int xOff) {
        return apply(v, l, x, xOff, 1);
    }

    /**
     * {@code Δy} for {@code n} input rows of {@code in} floats starting at {@code x[xOff]}; the result holds
     * {@code n} rows of {@code out} values.
     *
     * @throws IllegalArgumentException if λ lengths do not match the view or {@code x} is too short
     */
    public static double[] apply(Projections.View v, VeraLambdas l, float[] x, int xOff, int n) {
        check(v, l);
        if (n < 0 || xOff < 0 || (long) xOff + (long) n * v.in() > x.length) {
            throw new IllegalArgumentException("x holds " + x.length + " floats, too few for " + n + " rows of "
                    + v.in() + " from offset " + xOff);
        }
        double[] out = new double[n * v.out()];
        double[] h = new double[v.rank()];
        for (int t = 0; t < n; t++) {
            int row = xOff + t * v.in();
            for (int i = 0; i < v.rank(); i++) {
                double s = 0;
                for (int j = 0; j < v.in(); j++) {
                    s += (double) v.a(i, j) * x[row + j];
                }
                h[i] = l.lambdaD()[i] * s;
            }
            for (int o = 0; o < v.out(); o++) {
                double s = 0;
                for (int i = 0; i < v.rank(); i++) {
                    s += (double) v.b(o, i) * h[i];
                }
                out[t * v.out() + o] = l.lambdaB()[o] * s;
            }
        }
        return out;
    }

    /**
     * The dense weight update {@code ΔW = diag(λ_b) · B_l · diag(λ_d) · A_l}, {@code out x in} row-major: PEFT's
     * {@code get_delta_weight}, which merging adds to the base weight.
     *
     * @throws IllegalArgumentException if λ lengths do not match the view
     */
    public static double[] denseDelta(Projections.View v, VeraLambdas l) {
        check(v, l);
        double[] w = new double[v.out() * v.in()];
        for (int o = 0; o < v.out(); o++) {
            for (int j = 0; j < v.in(); j++) {
                double s = 0;
                for (int i = 0; i < v.rank(); i++) {
                    s += (double) v.b(o, i) * l.lambdaD()[i] * v.a(i, j);
                }
                w[o * v.in() + j] = l.lambdaB()[o] * s;
            }
        }
        return w;
    }

    private static void check(Projections.View v, VeraLambdas l) {
        if (l.out() != v.out()) {
            throw new IllegalArgumentException("λ_b has " + l.out() + " elements but the layer has " + v.out() + " outputs");
        }
        if (l.rank() != v.rank()) {
            throw new IllegalArgumentException("λ_d has " + l.rank() + " elements but the projections have rank " + v.rank());
        }
    }
}
