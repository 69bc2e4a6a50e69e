package dev.vera4j.engine.batch;

import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.api.ModelAdapter;
import dev.vera4j.engine.api.Session;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.LinearHook;

import java.util.List;

/**
 * The first {@link StepRunner}: each sequence is a {@link Session} (KV cache, scratch, hooks), and a step feeds each
 * work item to its session in turn, every forward pass on the model's worker pool. Results are exactly those of
 * {@link Session#generate} on the same tokens, whatever else is in the step; the cost is one read of the weights per
 * sequence and step, which a multi-sequence pass saves.
 *
 * <pre>{@code
 * StepRunner runner = new SessionStepRunner(model, KvType.F16, 128);
 * }</pre>
 */
final class SessionStepRunner implements StepRunner {
    private final Model model;
    private final KvType kvType;
    private final int chunk;

    /** @param chunk the most tokens a sequence brings to one step (its session's batch size) */
    SessionStepRunner(Model model, KvType kvType, int chunk) {
        if (chunk < 1) throw new IllegalArgumentException("chunk must be positive, got " + chunk);
        this.model = model;
        this.kvType = kvType;
        this.chunk = chunk;
    }

    @Override
    public Sequence newSequence(int contextLength) { return new SessionSequence(model.newSession(contextLength, kvType, chunk)); }

    @Override
    public int maxTokensPerSequence() { return chunk; }

    @Override
    public void step(List<SequenceWork> work) {
        for (SequenceWork w : work) {
            SessionSequence s = (SessionSequence) w.sequence();
            s.logits = s.session.ingest(w.tokens(), w.offset(), w.count());
        }
    }

    private final class SessionSequence implements Sequence {
        final Session session;
        float[] logits;
        private LinearHook hook;

        SessionSequence(Session session) { this.session = session; }

        @Override public int position() { return session.position(); }

        @Override public int contextLength() { return session.contextLength(); }

        @Override public void reset() { session.reset(); }

        @Override
        public void adapter(ModelAdapter adapter) {
            LinearHook next = adapter == null ? null : adapter.newHook(model.path(), session.batchSize());
            if (hook != null) session.removeHook(hook);
            hook = next;
            if (next != null) session.addHook(next);
        }

        @Override
        public float[] logits() {
            if (logits == null) throw new IllegalStateException("no step has run for this sequence");
            return logits;
        }
    }
}
