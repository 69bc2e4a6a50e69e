package dev.vera4j.spark;

import dev.vera4j.vera.train.TrainableLambdas;

/**
 * The trained λ's (or their gradients) of a {@link TrainableLambdas} as one flat array, site by site, λ_b then λ_d:
 * what travels between the driver and the executors each step (kilobytes: two short vectors per adapted matrix).
 * Both sides build their λ's from the same adapter configuration, so the sites come in the same order.
 *
 * <pre>{@code
 * float[] v = LambdaVector.values(params);        // driver: the λ's of this step
 * LambdaVector.setValues(executorParams, v);      // executor: the same λ's
 * }</pre>
 */
public final class LambdaVector {
    private LambdaVector() {}

    /** How many values the λ's hold. */
    public static int size(TrainableLambdas p) {
        int n = 0;
        for (TrainableLambdas.Site s : p.sites()) n += s.lambdaB().length + s.lambdaD().length;
        return n;
    }

    /** The current λ values. */
    public static float[] values(TrainableLambdas p) {
        float[] out = new float[size(p)];
        int o = 0;
        for (TrainableLambdas.Site s : p.sites()) {
            o = put(s.lambdaB(), out, o);
            o = put(s.lambdaD(), out, o);
        }
        return out;
    }

    /** Sets the λ's to {@code v} (from {@link #values} of a run with the same configuration). */
    public static void setValues(TrainableLambdas p, float[] v) {
        check(p, v);
        int o = 0;
        for (TrainableLambdas.Site s : p.sites()) {
            o = take(v, o, s.lambdaB());
            o = take(v, o, s.lambdaD());
        }
    }

    /** The current gradients. */
    public static float[] gradients(TrainableLambdas p) {
        float[] out = new float[size(p)];
        int o = 0;
        for (TrainableLambdas.Site s : p.sites()) {
            o = put(s.gradB(), out, o);
            o = put(s.gradD(), out, o);
        }
        return out;
    }

    /** Adds {@code g} (from {@link #gradients}) to the gradients. */
    public static void addGradients(TrainableLambdas p, float[] g) {
        check(p, g);
        int o = 0;
        for (TrainableLambdas.Site s : p.sites()) {
            for (float[] a : new float[][] {s.gradB(), s.gradD()}) {
                for (int i = 0; i < a.length; i++) a[i] += g[o++];
            }
        }
    }

    private static void check(TrainableLambdas p, float[] v) {
        if (v.length != size(p)) throw new IllegalArgumentException("λ vector of " + v.length + " values for an adapter of " + size(p));
    }

    private static int put(float[] src, float[] dst, int o) {
        System.arraycopy(src, 0, dst, o, src.length);
        return o + src.length;
    }

    private static int take(float[] src, int o, float[] dst) {
        System.arraycopy(src, o, dst, 0, dst.length);
        return o + dst.length;
    }
}
