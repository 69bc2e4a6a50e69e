package dev.vera4j.engine.batch;

import dev.vera4j.engine.api.GenerateOptions;
import dev.vera4j.engine.api.ModelAdapter;

import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;

/**
 * One generation for the {@link BatchScheduler}: prompt ids, how to sample and stop, the adapter to apply (or none),
 * how many alternatives to report with each token's log-probability, and a time limit.
 *
 * <pre>{@code
 * BatchRequest r = BatchRequest.of(model.tokenizer().encode("Once upon a time", true, true), GenerateOptions.greedy(32))
 *         .withAdapter(style).withLogprobs(3).withTimeout(Duration.ofSeconds(30));
 * }</pre>
 *
 * @param adapter  applied to this sequence only; {@code null} for the base model. Its {@code newHook} runs on the
 *                 scheduler's thread, so it should be cheap (load adapter files before submitting)
 * @param logprobs -1: no log-probabilities; 0 or more: each token's log-probability and that many most likely
 *                 alternatives
 * @param timeout  {@code null}: the scheduler's default
 */
public record BatchRequest(int[] prompt, GenerateOptions options, ModelAdapter adapter, int logprobs, Duration timeout) {
    public BatchRequest {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt has no tokens");
        Objects.requireNonNull(options, "options");
        if (logprobs < -1) throw new IllegalArgumentException("logprobs must be >= -1, got " + logprobs);
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        prompt = prompt.clone();
    }

    /** No adapter, no log-probabilities, the default timeout. */
    public static BatchRequest of(int[] prompt, GenerateOptions options) { return new BatchRequest(prompt, options, null, -1, null); }

    public BatchRequest withAdapter(ModelAdapter a) { return new BatchRequest(prompt, options, a, logprobs, timeout); }

    public BatchRequest withLogprobs(int alternatives) { return new BatchRequest(prompt, options, adapter, alternatives, timeout); }

    public BatchRequest withTimeout(Duration d) { return new BatchRequest(prompt, options, adapter, logprobs, d); }

    @Override
    public int[] prompt() { return prompt.clone(); }

    /** The prompt itself, not a copy: for the scheduler, which never changes it. */
    int[] promptIds() { return prompt; }

    @Override
    public boolean equals(Object o) {
        return o instanceof BatchRequest r && Arrays.equals(prompt, r.prompt) && options.equals(r.options)
                && Objects.equals(adapter, r.adapter) && logprobs == r.logprobs && Objects.equals(timeout, r.timeout);
    }

    @Override
    public int hashCode() { return Objects.hash(Arrays.hashCode(prompt), options, adapter, logprobs, timeout); }

    @Override
    public String toString() {
        return "BatchRequest[prompt=" + prompt.length + " tokens, " + options + ", adapter=" + (adapter == null ? "none" : adapter.name())
                + ", logprobs=" + logprobs + ", timeout=" + timeout + "]";
    }
}
