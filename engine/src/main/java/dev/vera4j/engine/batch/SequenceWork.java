package dev.vera4j.engine.batch;

import java.util.Objects;

/**
 * What one sequence brings to a step: {@code tokens[offset, offset + count)} to feed after what its cache holds (a
 * chunk of its prompt, or the one token it sampled last).
 *
 * <pre>{@code
 * new SequenceWork(sequence, new int[] {lastToken}, 0, 1);             // a decode
 * new SequenceWork(sequence, prompt, fed, Math.min(128, prompt.length - fed));   // a prefill chunk
 * }</pre>
 */
public record SequenceWork(StepRunner.Sequence sequence, int[] tokens, int offset, int count) {
    public SequenceWork {
        Objects.requireNonNull(sequence, "sequence");
        Objects.checkFromIndexSize(offset, count, tokens.length);
        if (count == 0) throw new IllegalArgumentException("a work item needs at least one token");
    }
}
