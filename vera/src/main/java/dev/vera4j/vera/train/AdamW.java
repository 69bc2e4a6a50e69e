package dev.vera4j.vera.train;

/**
 * AdamW (Loshchilov and Hutter; PyTorch's {@code torch.optim.AdamW} update) over all parameter arrays of a
 * {@link Trainable} (VeRA's λ vectors, LoRA's A and B), with separate learning rates for λ_b (LoRA's B) and λ_d (A). Moments are kept in one flat array each, in
 * site order (λ_b then λ_d per site), so a checkpoint can save and restore them exactly.
 *
 * <pre>{@code
 * AdamW opt = new AdamW(params, new AdamW.Settings(0.9, 0.999, 1e-8, 0.0));
 * opt.step(1e-2f, 1e-2f);   // after gradients were accumulated (and clipped)
 * }</pre>
 */
public final class AdamW {
    /** @param weightDecay decoupled: each step multiplies a value by {@code 1 − lr·weightDecay} */
    public record Settings(double beta1, double beta2, double eps, double weightDecay) {
        public Settings {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("betas must be in [0, 1), got " + beta1 + ", " + beta2);
            if (!(eps > 0)) throw new IllegalArgumentException("eps must be positive, got " + eps);
            if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight decay must be non-negative, got " + weightDecay);
        }

        /** PyTorch's defaults but without weight decay. */
        public static Settings defaults() { return new Settings(0.9, 0.999, 1e-8, 0.0); }
    }

    private final float[][] values, grads;
    private final boolean[] isLambdaB;
    private final Settings s;
    private final float[] m, v;
    private long steps;

    /** Over every parameter array of {@code params}, in its order. */
    public AdamW(Trainable params, Settings settings) {
        this(params.values(), params.grads(), params.firstGroup(), settings);
    }

    /**
     * Over the arrays {@code values[i]} with gradients {@code grads[i]} (same lengths); {@code isLambdaB[i]} picks
     * which of the two learning rates array {@code i} gets.
     */
    public AdamW(float[][] values, float[][] grads, boolean[] isLambdaB, Settings settings) {
        if (values.length != grads.length || values.length != isLambdaB.length) throw new IllegalArgumentException("values, gradients and kinds differ in count");
        long n = 0;
        for (int i = 0; i < values.length; i++) {
            if (values[i].length != grads[i].length) throw new IllegalArgumentException("array " + i + ": " + values[i].length + " values, " + grads[i].length + " gradients");
            n += values[i].length;
        }
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("too many parameters: " + n);
        this.values = values;
        this.grads = grads;
        this.isLambdaB = isLambdaB;
        this.s = settings;
        m = new float[(int) n];
        v = new float[(int) n];
    }

    /** Updates done so far. */
    public long steps() { return steps; }

    /** First moments, flat (for checkpoints; modified in place by {@link #restore}). */
    float[] firstMoments() { return m; }

    float[] secondMoments() { return v; }

    /** Sets the state a checkpoint saved. */
    void restore(long steps, float[] m1, float[] m2) {
        if (m1.length != m.length || m2.length != v.length) throw new IllegalArgumentException("optimizer state of " + m1.length + " values, expected " + m.length);
        System.arraycopy(m1, 0, m, 0, m.length);
        System.arraycopy(m2, 0, v, 0, v.length);
        this.steps = steps;
    }

    /** One update of every λ from its gradient. */
    public void step(float lrB, float lrD) {
        steps++;
        double bc1 = 1 - Math.pow(s.beta1(), steps), bc2 = 1 - Math.pow(s.beta2(), steps);
        int off = 0;
        for (int i = 0; i < values.length; i++) off = update(values[i], grads[i], off, isLambdaB[i] ? lrB : lrD, bc1, bc2);
    }

    private int update(float[] p, float[] g, int off, float lr, double bc1, double bc2) {
        float b1 = (float) s.beta1(), b2 = (float) s.beta2(), decay = (float) (1 - lr * s.weightDecay());
        float stepSize = (float) (lr / bc1), sqrtBc2 = (float) Math.sqrt(bc2), eps = (float) s.eps();
        for (int i = 0; i < p.length; i++, off++) {
            float gi = g[i];
            m[off] = b1 * m[off] + (1 - b1) * gi;
            v[off] = b2 * v[off] + (1 - b2) * gi * gi;
            float denom = (float) Math.sqrt(v[off]) / sqrtBc2 + eps;
            p[i] = p[i] * decay - stepSize * m[off] / denom;
        }
        return off;
    }
}
