package dev.vera4j.engine.batch;

import dev.vera4j.engine.api.Continuation;
import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.api.ModelAdapter;

import java.util.List;
import java.util.Objects;

/**
 * One of the scheduler's sequences and the request it serves: feeds the prompt in chunks, then one sampled token per
 * step, and reports tokens and the result to the request's listener. Used by the scheduler's thread only.
 *
 * <p>A slot remembers the tokens its cache holds after a request ends (the prompt and what was generated, with the
 * adapter they went through), so that a later request with the same adapter whose prompt starts the same way
 * ({@link #reusable}: a shared system prompt, a chat's earlier turns) keeps those positions and reads only the rest of
 * its prompt, as llama-server's prompt cache does. At least the prompt's last token is always read, for its logits.
 *
 * <pre>{@code
 * slot.start(handle, now);
 * SequenceWork w = slot.work(chunk);
 * runner.step(List.of(w));
 * if (slot.afterStep(w, now) == Slot.Progress.FINISHED) handle.finish(slot.finish(BatchResult.Outcome.COMPLETED, null, now));
 * }</pre>
 */
final class Slot {
    /** What a step did for a slot. */
    enum Progress {
        /** Fed a prompt chunk; more of the prompt remains. */
        READING,
        /** Sampled a token; generation goes on. */
        SAMPLED,
        /** Sampled the token that ends the request: {@link #finish} it. */
        FINISHED
    }

    private final Model model;
    private final StepRunner.Sequence sequence;
    private final Logprobs logprobs;
    private final int[] one = new int[1];
    /** The tokens whose keys and values the cache holds, in order ({@code held} of them), and their adapter. */
    private final int[] tokens;
    private int held;
    private ModelAdapter heldAdapter;
    private BatchHandle job;
    private Continuation continuation;
    private int fed, reused;
    private long startedNanos, firstTokenNanos;

    Slot(Model model, StepRunner.Sequence sequence, Logprobs logprobs) {
        this.model = model;
        this.sequence = sequence;
        this.logprobs = logprobs;
        this.tokens = new int[sequence.contextLength()];
    }

    boolean idle() { return job == null; }

    BatchHandle job() { return job; }

    /** Whether prompt tokens remain to be fed. */
    boolean prefilling() { return fed < job.request.promptIds().length; }

    /**
     * How many of {@code r}'s prompt tokens this idle slot's cache already holds: the prompt prefix it shares with the
     * tokens the cache holds, when the adapter is equal to theirs ({@code equals}: the server makes an adapter record
     * per request over the weights its cache keeps, equal while those weights are the same object), short of the
     * prompt's last token; 0 otherwise.
     */
    int reusable(BatchRequest r) {
        if (!Objects.equals(r.adapter(), heldAdapter)) return 0;
        int[] prompt = r.promptIds();
        int n = Math.min(held, prompt.length - 1), i = 0;
        while (i < n && tokens[i] == prompt[i]) i++;
        return i;
    }

    /**
     * Takes {@code handle}: keeps the cache's positions that its prompt can reuse ({@link #reusable}), forgets the
     * rest, and applies its adapter.
     *
     * @return the prompt tokens reused
     * @throws RuntimeException from the adapter; the slot stays idle then
     */
    int start(BatchHandle handle, long now) {
        BatchRequest r = handle.request;
        int reuse = reusable(r);
        held = 0;   // until the adapter is in place: a failure leaves the slot with nothing to reuse
        sequence.truncate(reuse);
        sequence.adapter(r.adapter());
        held = reuse;
        heldAdapter = r.adapter();
        job = handle;
        continuation = new Continuation(model, r.options(), r.promptIds(), r.promptIds().length);
        fed = reuse;
        reused = reuse;
        startedNanos = now;
        firstTokenNanos = -1;
        return reuse;
    }

    /** This step's tokens: the next prompt chunk of at most {@code chunk} tokens, or the last sampled token. */
    SequenceWork work(int chunk) {
        int[] prompt = job.request.promptIds();
        if (fed < prompt.length) return new SequenceWork(sequence, prompt, fed, Math.min(chunk, prompt.length - fed));
        return new SequenceWork(sequence, one, 0, 1);
    }

    /**
     * Takes the step's result for {@code w}: once the prompt is in, samples a token and tells the listener.
     *
     * @return what happened
     */
    Progress afterStep(SequenceWork w, long now) {
        System.arraycopy(w.tokens(), w.offset(), tokens, held, w.count());   // now in the cache
        held += w.count();
        if (fed < job.request.promptIds().length) {
            fed += w.count();
            if (fed < job.request.promptIds().length) return Progress.READING;
        }
        float[] logits = sequence.logits();
        int id = continuation.next(logits, 0, sequence.position() < sequence.contextLength());
        if (firstTokenNanos < 0) firstTokenNanos = now;
        one[0] = id;
        int alternatives = job.request.logprobs();
        TokenEvent event;
        if (alternatives < 0) {
            event = new TokenEvent(id, continuation.piece(), null, List.of());
        } else {
            int vocab = model.config().vocabSize();
            double lse = Logprobs.logSumExp(logits, vocab);
            event = new TokenEvent(id, continuation.piece(), logprobs.of(logits, lse, id),
                    alternatives == 0 ? List.of() : logprobs.top(logits, vocab, lse, alternatives));
        }
        job.listener.onToken(event);
        return continuation.done() ? Progress.FINISHED : Progress.SAMPLED;
    }

    /** Tokens sampled so far for the current request. */
    int generated() { return continuation.count(); }

    /**
     * Ends the current request with {@code outcome} and frees the slot; returns the result for the caller to deliver
     * ({@link BatchHandle#finish}) once its own books are kept. Text held back until the end goes to the listener now,
     * for a completed request only (a cancelled one never showed it).
     */
    BatchResult finish(BatchResult.Outcome outcome, String error, long now) {
        BatchHandle h = job;
        Continuation c = continuation;
        job = null;
        continuation = null;
        sequence.adapter(null);
        if (outcome == BatchResult.Outcome.FAILED) held = 0;   // a failed step may have left the cache part written
        boolean completed = outcome == BatchResult.Outcome.COMPLETED;
        if (completed) {
            String rest = c.flush();
            if (!rest.isEmpty()) h.listener.onToken(new TokenEvent(-1, rest, null, List.of()));
        }
        long ttft = firstTokenNanos < 0 ? -1 : firstTokenNanos - h.submittedNanos;
        return new BatchResult(outcome, c.text(), c.tokens(), h.request.promptIds().length, reused, completed ? c.stopReason() : null,
                c.stopString(), startedNanos - h.submittedNanos, ttft, now - h.submittedNanos, error);
    }
}
