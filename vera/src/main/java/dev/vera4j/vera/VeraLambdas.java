package dev.vera4j.vera;

import java.util.Arrays;

/**
 * The trained vectors of one adapted layer: {@code λ_b} (one scale per output, PEFT {@code vera_lambda_b}) and
 * {@code λ_d} (one scale per rank dimension, PEFT {@code vera_lambda_d}), so that
 * {@code Δy = λ_b ⊙ (B_l · (λ_d ⊙ (A_l · x)))}.
 *
 * <pre>{@code
 * VeraLambdas fresh = VeraLambdas.initial(4096, 256, 0.1f);   // λ_b = 0, λ_d = 0.1: Δy = 0, as PEFT initializes
 * }</pre>
 *
 * <p>The arrays are held, not copied. Two instances are equal when their values are bit-identical.
 */
public record VeraLambdas(float[] lambdaB, float[] lambdaD) {
    public VeraLambdas {
        if (lambdaB.length == 0 || lambdaD.length == 0) {
            throw new IllegalArgumentException("λ vectors must not be empty (λ_b " + lambdaB.length + ", λ_d "
                    + lambdaD.length + ")");
        }
    }

    /** PEFT's initialization ({@code reset_vera_parameters}): {@code λ_b = 0}, {@code λ_d = dInitial}. */
    public static VeraLambdas initial(int out, int rank, float dInitial) {
        float[] d = new float[rank];
        Arrays.fill(d, dInitial);
        return new VeraLambdas(new float[out], d);
    }

    /** Output width of the layer: the length of {@code λ_b}. */
    public int out() { return lambdaB.length; }

    /** Rank r: the length of {@code λ_d}. */
    public int rank() { return lambdaD.length; }

    @Override
    public boolean equals(Object o) {
        return o instanceof VeraLambdas l && sameBits(lambdaB, l.lambdaB) && sameBits(lambdaD, l.lambdaD);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(lambdaB) + Arrays.hashCode(lambdaD);
    }

    @Override
    public String toString() {
        return "VeraLambdas[out=" + lambdaB.length + ", rank=" + lambdaD.length + "]";
    }

    static boolean sameBits(float[] x, float[] y) {
        if (x.length != y.length) {
            return false;
        }
        for (int i = 0; i < x.length; i++) {
            if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) {
                return false;
            }
        }
        return true;
    }
}
