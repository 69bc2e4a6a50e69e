package dev.vera4j.engine.backend;

import dev.vera4j.engine.kv.KvCache;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.ModelConfig;

/**
 * A model loaded onto one compute device: the seam between the engine and its kernels, around the whole forward pass
 * (as ggml's backends are), not around single operations. The backend owns the model's weights in its device's
 * layout, and makes the two other kinds of device memory a pass needs, as handles: a {@link KvCache} per sequence and
 * {@link Activations} (scratch) per caller. {@link #step} then runs a {@link Batch} of tokens from one or several
 * sequences through the embedding, every block and the output projection, and writes logits into host memory; nothing
 * else crosses between host and device during a step but the hooks' and recorders' data when a sequence has any that
 * the backend cannot run on its device (see {@link dev.vera4j.engine.model.LinearHook#lowRank()}).
 *
 * <p>The CPU backend ({@code dev.vera4j.engine.backend.cpu.CpuBackend}) is built in; others come from a
 * {@link BackendProvider} found at run time, so that the engine never depends on them.
 *
 * <pre>{@code
 * Backend b = model.backend();
 * Sequence s = new Sequence(b.newCache(KvType.F16, 1024));
 * Activations act = b.newActivations(64, 1024, false);
 * float[] logits = new float[b.config().vocabSize()];
 * b.step(act, Batch.of(s, promptIds, 0, promptIds.length, false), logits);   // prefill: last token's logits
 * b.step(act, Batch.of(s, new int[] {argmax(logits)}, 0, 1, false), logits);  // decode
 * }</pre>
 *
 * <p>Steps of one backend run one at a time (they share its device and threads); a backend may serialize concurrent
 * calls or reject them.
 */
public interface Backend extends AutoCloseable {
    /** The device it computes on. */
    Device device();

    ModelConfig config();

    /** An empty KV cache of {@code capacity} positions on this backend's device, for one sequence. */
    KvCache newCache(KvType type, int capacity);

    /**
     * Scratch for steps of up to {@code maxTokens} tokens over caches of up to {@code maxContext} positions.
     *
     * @param fixedOrder results that do not depend on timing: the same bits in every run and process (training, which
     *                   must resume bit for bit), at some cost in speed
     */
    Activations newActivations(int maxTokens, int maxContext, boolean fixedOrder);

    /**
     * Runs the batch's tokens, each sequence's at the positions after those its cache holds; stores their keys and
     * values in the caches and advances them; writes {@link Batch#logitsRows()} rows of logits into {@code logits}
     * (entry {@code i}'s from row {@link Batch#logitsRow(int)}, {@code vocabSize} floats a row). Each sequence's hooks
     * are called for its own rows after every linear projection, and its recorder at the fixed points of each block.
     *
     * @throws dev.vera4j.engine.kv.ContextOverflowException if a sequence's tokens do not fit in its cache; nothing
     *                                                       is computed or stored then
     * @throws IllegalArgumentException if the batch is empty or exceeds the activations, a cache or the activations
     *                                  come from another backend, a token is outside the vocabulary, or
     *                                  {@code logits} is too small
     */
    void step(Activations activations, Batch batch, float[] logits);

    /** Releases the device memory of the weights and of every cache and activation buffer made by this backend. */
    @Override
    void close();
}
