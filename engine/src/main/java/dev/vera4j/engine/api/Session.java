package dev.vera4j.engine.api;

import dev.vera4j.engine.backend.Activations;
import dev.vera4j.engine.backend.Batch;
import dev.vera4j.engine.backend.Sequence;
import dev.vera4j.engine.kv.ContextOverflowException;
import dev.vera4j.engine.kv.KvCache;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.ActivationRecorder;
import dev.vera4j.engine.model.LinearHook;
import dev.vera4j.engine.model.ModelConfig;

import java.util.Arrays;

/**
 * One conversation with a {@link Model}: a {@link Sequence} (its KV cache on the model's device, its hooks) and
 * scratch {@link Activations} allocated once, and the tokens the cache holds. Each {@link #generate} continues where
 * the previous one ended, without recomputing earlier tokens; the last sampled token, not yet fed to the model, is fed
 * first next time. Not thread-safe.
 *
 * <pre>{@code
 * Session s = model.newSession(1024, KvType.F32);
 * Generation first = s.generate(promptIds, GenerateOptions.greedy(32), GenerationListener.NONE);
 * Generation more = s.generate(new int[0], GenerateOptions.greedy(32), GenerationListener.NONE);   // continues
 * s.reset();                                                                                         // starts over
 * s.close();                                                                                         // frees its cache
 * }</pre>
 */
public final class Session implements AutoCloseable {
    private final Model model;
    private final ModelConfig config;
    private final Sequence sequence;
    private final KvCache cache;
    private final Activations activations;
    private final Batch batch;
    private final float[] logits;
    private final int[] history;
    private final int[] one = new int[1];
    private int pending = -1;

    Session(Model model, int contextLength, KvType kvType, int batchSize) {
        this.model = model;
        this.config = model.config();
        this.cache = model.backend().newCache(kvType, contextLength);
        this.sequence = new Sequence(cache);
        this.activations = model.backend().newActivations(batchSize, contextLength, false);
        this.batch = new Batch(batchSize);
        this.logits = new float[config.vocabSize()];
        this.history = new int[contextLength];
    }

    public Model model() { return model; }

    /** Positions of the context in use. */
    public int position() { return cache.length(); }

    /** Positions in all. */
    public int contextLength() { return cache.capacity(); }

    /** The ids held in the cache, in order. */
    public int[] tokens() { return Arrays.copyOf(history, cache.length()); }

    /** Forgets everything: the next generation starts at position 0. */
    public void reset() { rewind(0); }

    /** Forgets the positions from {@code position} on (e.g. to retry the last turn of a chat). */
    public void rewind(int position) {
        cache.truncate(position);
        pending = -1;
    }

    /** The most tokens one forward pass takes: what a hook's scratch memory must be sized for. */
    public int batchSize() { return activations.maxTokens(); }

    /** Adds a hook to every linear projection of this session's passes (an adapter, say). */
    public void addHook(LinearHook hook) { sequence.addHook(hook); }

    public boolean removeHook(LinearHook hook) { return sequence.removeHook(hook); }

    /** Sets (or with {@code null} clears) a recorder of per-block activations. */
    public void recorder(ActivationRecorder recorder) { sequence.recorder(recorder); }

    /**
     * Feeds {@code tokens} (in batches) and returns the logits after the last one: an internal array, valid until the
     * next call.
     *
     * @throws ContextOverflowException if they do not fit in what is left of the context; nothing is fed then
     */
    public float[] ingest(int[] tokens) { return ingest(tokens, 0, tokens.length); }

    /**
     * Feeds {@code tokens[off, off + n)}, as {@link #ingest(int[])}.
     *
     * @throws ContextOverflowException if they do not fit in what is left of the context; nothing is fed then
     */
    public float[] ingest(int[] tokens, int off, int n) {
        if (n <= 0) throw new IllegalArgumentException("no tokens to ingest");
        java.util.Objects.checkFromIndexSize(off, n, tokens.length);
        cache.ensureRoom(n);
        for (int i = off; i < off + n; i++) {
            int t = tokens[i];
            if (t < 0 || t >= config.vocabSize()) throw new IllegalArgumentException("token id " + t + " is outside the vocabulary [0, " + config.vocabSize() + ")");
        }
        for (int done = 0; done < n; done += batchSize()) {
            int m = Math.min(batchSize(), n - done);
            System.arraycopy(tokens, off + done, history, cache.length(), m);
            forward(tokens, off + done, m);
        }
        return logits;
    }

    private void forward(int[] tokens, int off, int n) {
        synchronized (model) {   // closing the model waits for the step
            model.checkOpen();
            model.backend().step(activations, batch.clear().add(sequence, tokens, off, n, false), logits);
        }
    }

    /**
     * Tokenizes {@code prompt} (with BOS when the session is empty; control tokens written in the text are recognised)
     * and generates from it, as {@link #generate(int[], GenerateOptions, GenerationListener)}.
     */
    public Generation generate(String prompt, GenerateOptions options, GenerationListener listener) {
        return generate(model.tokenizer().encode(prompt, cache.length() == 0 && pending < 0, true), options, listener);
    }

    /**
     * Feeds {@code prompt} after what the session already holds and samples up to {@code options.maxTokens()} tokens,
     * telling {@code listener} about each as it comes.
     *
     * @throws ContextOverflowException if the prompt does not fit in what is left of the context
     * @throws IllegalArgumentException if there is nothing to start from (empty prompt on an empty session)
     */
    public Generation generate(int[] prompt, GenerateOptions options, GenerationListener listener) {
        int[] feed = pending >= 0 ? prepend(pending, prompt) : prompt.clone();
        if (feed.length == 0) throw new IllegalArgumentException("empty prompt: nothing to generate from");
        long start = System.nanoTime();
        ingest(feed);
        pending = -1;
        long prefilled = System.nanoTime();

        Continuation c = new Continuation(model, options, history, cache.length());
        while (!c.done()) {
            int id = c.next(logits, 0, cache.length() < cache.capacity());
            listener.onToken(id, c.piece());
            if (c.done()) {
                pending = id;
                break;
            }
            one[0] = id;
            history[cache.length()] = id;
            forward(one, 0, 1);
        }
        String rest = c.flush();
        if (!rest.isEmpty()) listener.onToken(-1, rest);
        long end = System.nanoTime();
        Timings timings = new Timings(feed.length, prefilled - start, c.count(), end - prefilled);
        return new Generation(c.text(), feed, c.tokens(), timings, c.stopReason(), c.stopString());
    }

    /**
     * Frees the session's KV cache and scratch on the model's device: device memory on a GPU, which the backend would
     * otherwise hold until the model closes (on the CPU they are heap arrays, left to the garbage collector). The
     * session cannot be used afterwards.
     */
    @Override
    public void close() {
        try {
            activations.close();
        } finally {
            cache.close();
        }
    }

    private static int[] prepend(int first, int[] rest) {
        int[] a = new int[rest.length + 1];
        a[0] = first;
        System.arraycopy(rest, 0, a, 1, rest.length);
        return a;
    }
}
