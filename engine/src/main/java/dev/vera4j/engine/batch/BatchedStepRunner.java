package dev.vera4j.engine.batch;

import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.api.ModelAdapter;
import dev.vera4j.engine.backend.Activations;
import dev.vera4j.engine.backend.Backend;
import dev.vera4j.engine.backend.Batch;
import dev.vera4j.engine.kv.KvCache;
import dev.vera4j.engine.model.LinearHook;

import java.util.List;

/**
 * The {@link StepRunner} over the model's {@link Backend}: a step puts every work item's tokens into one {@link Batch}
 * and runs one {@link Backend#step}, so each weight matrix is read once per step for all the sequences, decodes and
 * prompt chunks alike. Each sequence is a {@link dev.vera4j.engine.backend.Sequence} of the backend, with its own KV
 * cache and its adapter's hook, which sees only that sequence's rows; attention runs per sequence against its own
 * cache.
 *
 * <p>Sized by a {@link BatchConfig}: {@code parallel} sequences of at most {@code contextLength} positions, each
 * bringing at most {@code prefillChunk} tokens to a step, and scratch {@link Activations} for
 * {@code parallel + prefillChunk} tokens: the most a {@link BatchScheduler} step holds (a token per decoding sequence
 * and at most one chunk of prompt tokens). Work that holds more tokens than that runs as several backend steps, filled
 * in order.
 *
 * <p>A sequence's logits equal those it gets alone up to the products' summation order, and, for quantized weights,
 * the int8 rounding that one-token products apply to their input and products of several tokens do not (see the
 * backend's {@code MultiSequenceStepTest}). A step allocates nothing.
 *
 * <pre>{@code
 * StepRunner runner = StepRunner.batched(model, BatchConfig.defaults(2048).withParallel(4));
 * StepRunner.Sequence a = runner.newSequence(2048), b = runner.newSequence(2048);
 * runner.step(List.of(new SequenceWork(a, promptA, 0, promptA.length), new SequenceWork(b, new int[] {id}, 0, 1)));
 * int next = argmax(a.logits());
 * }</pre>
 */
final class BatchedStepRunner implements StepRunner {
    private final Model model;
    private final BatchConfig config;
    private final Activations activations;
    private final Batch batch;
    private final BackendSequence[] entries;
    /** The rows of one backend step: one per batch entry (its last token). */
    private final float[] logits;
    private final int vocab;
    private int sequences;

    BatchedStepRunner(Model model, BatchConfig config) {
        this.model = model;
        this.config = config;
        int maxTokens = Math.addExact(config.parallel(), config.prefillChunk());
        this.activations = model.backend().newActivations(maxTokens, config.contextLength(), false);
        this.batch = new Batch(maxTokens);
        this.entries = new BackendSequence[config.parallel()];
        this.vocab = model.config().vocabSize();
        this.logits = new float[Math.multiplyExact(config.parallel(), vocab)];
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalStateException when the runner's {@code parallel} sequences exist already
     * @throws IllegalArgumentException if {@code contextLength} is not in {@code [1, config.contextLength()]}
     */
    @Override
    public Sequence newSequence(int contextLength) {
        if (contextLength < 1 || contextLength > config.contextLength()) {
            throw new IllegalArgumentException("context length must be 1 to " + config.contextLength() + ", got " + contextLength);
        }
        if (sequences == config.parallel()) throw new IllegalStateException("this runner has its " + config.parallel() + " sequences already");
        sequences++;
        return new BackendSequence(model.backend().newCache(config.kvType(), contextLength));
    }

    @Override
    public int maxTokensPerSequence() { return config.prefillChunk(); }

    @Override
    public void step(List<SequenceWork> work) {
        int n = work.size();
        for (int i = 0; i < n; i++) {
            SequenceWork w = work.get(i);
            if (!(w.sequence() instanceof BackendSequence s) || s.runner() != this) throw new IllegalArgumentException("work item " + i + " is not for a sequence of this runner");
            if (w.count() > config.prefillChunk()) {
                throw new IllegalArgumentException("work item " + i + " brings " + w.count() + " tokens; a sequence brings at most " + config.prefillChunk());
            }
        }
        batch.clear();
        for (int i = 0; i < n; i++) {
            SequenceWork w = work.get(i);
            if (w.count() > batch.maxTokens() - batch.tokenCount()) run();
            BackendSequence s = (BackendSequence) w.sequence();
            batch.add(s.sequence, w.tokens(), w.offset(), w.count(), false);
            entries[batch.size() - 1] = s;
        }
        if (batch.size() > 0) run();
    }

    /** Runs the batch as one backend step, hands each entry its row of logits, and empties the batch. */
    private void run() {
        try {
            synchronized (model) {   // closing the model waits for the step
                model.backend().step(activations, batch, logits);
            }
            for (int e = 0; e < batch.size(); e++) {
                System.arraycopy(logits, batch.logitsRow(e) * vocab, entries[e].logits, 0, vocab);
                entries[e].stepped = true;
            }
        } finally {
            for (int e = 0; e < batch.size(); e++) entries[e] = null;
            batch.clear();
        }
    }

    /** A backend sequence, the hook of its adapter, and its logits after its latest step. */
    private final class BackendSequence implements Sequence {
        final dev.vera4j.engine.backend.Sequence sequence;
        final float[] logits = new float[vocab];
        private LinearHook hook;
        boolean stepped;

        BackendSequence(KvCache cache) { this.sequence = new dev.vera4j.engine.backend.Sequence(cache); }

        BatchedStepRunner runner() { return BatchedStepRunner.this; }

        @Override public int position() { return sequence.position(); }

        @Override public int contextLength() { return sequence.cache().capacity(); }

        @Override
        public void truncate(int positions) {
            sequence.cache().truncate(positions);
            stepped = false;
        }

        @Override
        public void adapter(ModelAdapter adapter) {
            LinearHook next = adapter == null ? null : adapter.newHook(model.path(), config.prefillChunk());
            if (hook != null) sequence.removeHook(hook);
            hook = next;
            if (next != null) sequence.addHook(next);
        }

        @Override
        public float[] logits() {
            if (!stepped) throw new IllegalStateException("no step has run for this sequence");
            return logits;
        }
    }
}
