package dev.vera4j.vera.train;

/**
 * Dropout on an adapter's input, as PEFT's {@code lora_dropout}: while training, each element of {@code x} is zeroed
 * with probability {@code p} and the kept ones are scaled by {@code 1/(1-p)}; evaluation and inference never drop. The
 * mask holds no random state: whether element {@code i} of token {@code t} at adapted layer {@code (layer, target)}
 * is kept is a hash (SplitMix64's finalizer) of the run's seed, the optimizer step, the example's index within the
 * step, the layer, the target, {@code t} and {@code i}. The forward hook and the backward pass therefore see the same
 * mask without storing it, a recomputed block (gradient checkpointing) draws it again identically, and a resumed run
 * draws what the uninterrupted one would have. Not thread-safe: one per training run, set by {@link Trainer} (step) and
 * {@link Backward} (example, training or evaluation).
 *
 * <pre>{@code
 * Dropout d = new Dropout(0.05, seed);
 * d.at(step, example);
 * d.training(true);
 * d.apply(layer, target, x, 0, xd, 0, n, in);   // xd = drop(x)
 * }</pre>
 */
public final class Dropout {
    private static final long GOLDEN = 0x9e3779b97f4a7c15L;

    private final double p;
    private final float keptScale;
    private final long seed;
    private long step;
    private int example;
    private boolean training;

    /**
     * @param p    the probability of dropping an element, in {@code [0, 1)}; 0 drops nothing
     * @param seed the run's seed
     */
    public Dropout(double p, long seed) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dropout must lie in [0, 1), got " + p);
        this.p = p;
        this.keptScale = (float) (1 / (1 - p));
        this.seed = seed;
    }

    public double p() { return p; }

    /** Keys the masks that follow to example {@code example} of optimizer step {@code step}. */
    public void at(long step, int example) {
        this.step = step;
        this.example = example;
    }

    /** Sets the optimizer step, keeping the example index. */
    void step(long step) { this.step = step; }

    /** Sets the example index within the step. */
    void example(int example) { this.example = example; }

    /** Training drops; evaluation does not. */
    public void training(boolean on) { this.training = on; }

    /** Whether {@link #apply} changes anything now. */
    public boolean active() { return training && p > 0; }

    /**
     * {@code dst = drop(src)} for {@code n} tokens of {@code in} elements (token {@code t} being position {@code t} of
     * the sequence); {@code src} and {@code dst} may be the same. Does nothing when not {@link #active()} and
     * {@code src == dst}; copies when the arrays differ.
     */
    public void apply(int layer, int target, float[] src, int srcOff, float[] dst, int dstOff, int n, int in) {
        apply(layer, target, 0, src, srcOff, dst, dstOff, n, in);
    }

    /** As {@link #apply(int, int, float[], int, float[], int, int, int)}, the first token being position {@code first}. */
    public void apply(int layer, int target, int first, float[] src, int srcOff, float[] dst, int dstOff, int n, int in) {
        if (!active()) {
            if (src != dst || srcOff != dstOff) System.arraycopy(src, srcOff, dst, dstOff, n * in);
            return;
        }
        for (int t = 0; t < n; t++) {
            long row = row(layer, target, first + t);
            int s = srcOff + t * in, d = dstOff + t * in;
            for (int i = 0; i < in; i++) dst[d + i] = keep(row, i) ? src[s + i] * keptScale : 0f;
        }
    }

    private long row(int layer, int target, int t) {
        long h = mix(seed ^ GOLDEN);
        h = mix(h + step);
        h = mix(h + example);
        h = mix(h + ((long) layer << 8 | target));
        return mix(h + t);
    }

    private boolean keep(long row, int i) {
        long h = mix(row + (i + 1L) * GOLDEN);
        return (h >>> 11) * 0x1.0p-53 >= p;
    }

    /** SplitMix64's finalizer. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
