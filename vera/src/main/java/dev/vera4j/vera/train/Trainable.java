package dev.vera4j.vera.train;

import dev.vera4j.engine.model.LinearHook;
import dev.vera4j.simd.WorkerPool;
import java.io.IOException;
import java.nio.file.Path;

/**
 * What a training run trains: an adapter's live parameter arrays (read by its forward hook, so an optimizer step is
 * seen by the next forward pass), their gradients, the backward pass of its adapted projections, and how it is saved.
 * {@link TrainableLambdas} is VeRA's ({@code λ_b}, {@code λ_d}), {@link TrainableLora} LoRA's ({@code A}, {@code B}).
 * {@link Backward}, {@link AdamW}, {@link Checkpoint} and {@link Trainer} work on either.
 *
 * <pre>{@code
 * Trainable p = TrainableLora.fresh(base, 8, 16f, EnumSet.of(VeraTarget.Q, VeraTarget.V), seed);
 * Backward bw = new Backward(backend, p, 256);
 * Trainer t = new Trainer(bw, p, train, valid, cfg, out, ckpt, "sig");
 * }</pre>
 */
public interface Trainable {
    /** The parameter arrays, live, in a fixed order (what optimizer moments and checkpoints follow). */
    float[][] values();

    /** The gradient of each of {@link #values()}, same lengths. */
    float[][] grads();

    /** Per array: whether it takes the first learning rate ({@code --lr-b}: λ_b, LoRA's B) or the second. */
    boolean[] firstGroup();

    /** A forward hook over the live parameters, at weight 1. */
    LinearHook newHook(int maxTokens, WorkerPool pool);

    /** The backward pass of the adapted projections, with its own scratch. */
    SiteBackward newBackward(WorkerPool pool);

    /** The dropout on the adapter's input while training, or {@code null} for an adapter trained without. */
    default Dropout dropout() { return null; }

    /** Writes the adapter as it is now (atomically). */
    void write(Path path) throws IOException;

    /** Total number of trained values. */
    default long parameterCount() {
        long n = 0;
        for (float[] v : values()) n += v.length;
        return n;
    }

    default void zeroGrad() {
        for (float[] g : grads()) java.util.Arrays.fill(g, 0f);
    }

    /** Multiplies every gradient by {@code f}. */
    default void scaleGrad(float f) {
        for (float[] g : grads()) for (int i = 0; i < g.length; i++) g[i] *= f;
    }

    /** The Euclidean norm of all gradients together. */
    default double gradNorm() {
        double ss = 0;
        for (float[] g : grads()) for (float x : g) ss += (double) x * x;
        return Math.sqrt(ss);
    }
}
