package dev.vera4j.engine.backend;

import dev.vera4j.engine.kv.KvCache;
import dev.vera4j.engine.model.ActivationRecorder;
import dev.vera4j.engine.model.LinearHook;

import java.util.Arrays;

/**
 * One stream of tokens through a model, as a step sees it: its KV cache (whose length is the position of its next
 * token), the hooks its linear projections call (its adapters: each sequence of a batch may have others) and an
 * optional recorder of its activations. A {@link Batch} carries several sequences through one step; each sees only its
 * own rows. Not thread-safe: change hooks between steps, not during one.
 *
 * <pre>{@code
 * Sequence s = new Sequence(backend.newCache(KvType.F16, 2048));
 * s.addHook(adapter);             // e.g. a VeRA adapter for this sequence only
 * backend.step(activations, Batch.of(s, promptIds, 0, promptIds.length, false), logits);
 * s.cache().length();             // promptIds.length
 * }</pre>
 */
public final class Sequence {
    private static final LinearHook[] NONE = new LinearHook[0];

    private final KvCache cache;
    private LinearHook[] hooks = NONE;
    private ActivationRecorder recorder;

    public Sequence(KvCache cache) {
        if (cache == null) throw new IllegalArgumentException("cache is null");
        this.cache = cache;
    }

    public KvCache cache() { return cache; }

    /** Positions the cache holds: where the sequence's next token goes. */
    public int position() { return cache.length(); }

    /** Adds a hook that every linear projection of this sequence's later steps calls, after those added before. */
    public void addHook(LinearHook hook) {
        if (hook == null) throw new IllegalArgumentException("hook is null");
        hooks = Arrays.copyOf(hooks, hooks.length + 1);
        hooks[hooks.length - 1] = hook;
    }

    /** Removes a hook added before; returns whether it was there. */
    public boolean removeHook(LinearHook hook) {
        for (int i = 0; i < hooks.length; i++) {
            if (hooks[i] == hook) {
                LinearHook[] h = new LinearHook[hooks.length - 1];
                System.arraycopy(hooks, 0, h, 0, i);
                System.arraycopy(hooks, i + 1, h, i, hooks.length - i - 1);
                hooks = h;
                return true;
            }
        }
        return false;
    }

    /** Hooks added, in order. */
    public int hookCount() { return hooks.length; }

    public LinearHook hook(int i) { return hooks[i]; }

    /** Sets (or with {@code null} clears) the recorder of this sequence's intermediate activations. */
    public void recorder(ActivationRecorder recorder) { this.recorder = recorder; }

    /** The recorder, or {@code null}. */
    public ActivationRecorder recorder() { return recorder; }
}
