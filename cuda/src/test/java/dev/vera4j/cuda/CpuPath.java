package dev.vera4j.cuda;

import dev.vera4j.engine.backend.Activations;
import dev.vera4j.engine.backend.Batch;
import dev.vera4j.engine.backend.Sequence;
import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.kv.KvCache;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.LinearHook;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.engine.model.ModelWeights;
import dev.vera4j.simd.WorkerPool;

/** The CPU backend fed as {@link CudaForward} is: one sequence, each call's tokens at the positions its cache holds. */
final class CpuPath {
    private final CpuBackend backend;
    private final Activations activations;
    private final Sequence sequence;

    CpuPath(ModelConfig c, ModelWeights w, WorkerPool pool, int maxBatch, int ctx) {
        backend = new CpuBackend(c, w, pool);
        activations = backend.newActivations(maxBatch, ctx, false);
        sequence = new Sequence(backend.newCache(KvType.F16, ctx));
    }

    /** Runs {@code tokens[off .. off+n)}; logits of the last token, or with {@code all} of every one. */
    void forward(int[] tokens, int off, int n, float[] logits, boolean all) {
        backend.step(activations, Batch.of(sequence, tokens, off, n, all), logits);
    }

    void addHook(LinearHook hook) { sequence.addHook(hook); }

    KvCache cache() { return sequence.cache(); }
}
