package dev.vera4j.engine.batch;

import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.api.ModelAdapter;

import java.util.List;

/**
 * The model step of the {@link BatchScheduler}: runs the tokens of several sequences, each with its own KV cache,
 * position and adapter, and leaves each sequence's last-position logits in {@link Sequence#logits()}. This is the one
 * place that decides how a step is computed; the scheduler only decides what goes into it.
 *
 * <p>{@link #batched} runs every step as one pass of the model's {@link dev.vera4j.engine.backend.Backend} over all the
 * step's tokens (each weight read once per step, each sequence with its own cache and adapter), on any device the
 * backend runs on. Other implementations wrap it (tests slow it down or record what each step holds).
 *
 * <pre>{@code
 * StepRunner runner = StepRunner.batched(model, BatchConfig.defaults(2048));
 * StepRunner.Sequence a = runner.newSequence(2048), b = runner.newSequence(2048);
 * runner.step(List.of(new SequenceWork(a, promptA, 0, promptA.length), new SequenceWork(b, new int[] {id}, 0, 1)));
 * int next = argmax(a.logits());
 * }</pre>
 */
public interface StepRunner {
    /** One sequence's state between steps: its KV cache, position and adapter. Used by one scheduler thread only. */
    interface Sequence {
        /** Positions the cache holds. */
        int position();

        /** Positions in all. */
        int contextLength();

        /** Forgets everything: the next work starts at position 0. */
        default void reset() { truncate(0); }

        /**
         * Forgets the positions from {@code positions} on, keeping those before (a prompt prefix reused by the next
         * request): the next work continues at {@code positions}.
         *
         * @throws IllegalArgumentException if {@code positions} is negative or more than the cache holds
         */
        void truncate(int positions);

        /** Applies {@code adapter} from the next step on ({@code null}: none), replacing the one before. */
        void adapter(ModelAdapter adapter);

        /** The logits after the last token of this sequence's latest work: valid until its next step. */
        float[] logits();
    }

    /**
     * A new sequence of {@code contextLength} positions (a KV cache of its own): allocated once per slot.
     *
     * @throws IllegalArgumentException if {@code contextLength} is not positive
     */
    Sequence newSequence(int contextLength);

    /**
     * The most tokens one sequence may bring to a step: the scheduler cuts prompts into chunks of at most this many.
     */
    int maxTokensPerSequence();

    /**
     * Feeds every work item's tokens to its sequence (at most one item per sequence) and computes each one's logits
     * after its last token.
     *
     * @throws RuntimeException if the step failed; the scheduler then drops the sequences of this step
     */
    void step(List<SequenceWork> work);

    /**
     * One backend step per scheduler step for up to {@code config.parallel()} sequences: see {@link BatchedStepRunner}.
     * Allocates the step's scratch now.
     */
    static StepRunner batched(Model model, BatchConfig config) { return new BatchedStepRunner(model, config); }
}
