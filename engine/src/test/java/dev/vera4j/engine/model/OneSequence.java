package dev.vera4j.engine.model;

import dev.vera4j.engine.backend.Batch;
import dev.vera4j.engine.backend.Sequence;
import dev.vera4j.engine.backend.cpu.CpuActivations;
import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.kv.KvType;

/** One sequence's steps through a CPU backend with scratch of its own, as the tests run them; allocation-free. */
final class OneSequence {
    final CpuBackend backend;
    final CpuActivations activations;
    final Sequence sequence;
    private final Batch batch;

    OneSequence(CpuBackend backend, KvType type, int maxBatch, int context) {
        this.backend = backend;
        this.activations = backend.newActivations(maxBatch, context, false);
        this.sequence = new Sequence(backend.newCache(type, context));
        this.batch = new Batch(maxBatch);
    }

    /** {@code ids[off .. off+n)} at the next positions: logits of the last token, or of all with {@code all}. */
    void forward(int[] ids, int off, int n, float[] logits, boolean all) {
        backend.step(activations, batch.clear().add(sequence, ids, off, n, all), logits);
    }

    OneSequence hook(LinearHook hook) {
        sequence.addHook(hook);
        return this;
    }
}
