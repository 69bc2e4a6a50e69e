package dev.vera4j.engine.batch;

import dev.vera4j.engine.kv.KvType;

import java.time.Duration;

/**
 * How a {@link BatchScheduler} runs: sequences at once, queue length, per-sequence context, prompt chunk and the
 * default request timeout.
 *
 * <pre>{@code
 * BatchConfig c = BatchConfig.defaults(2048).withParallel(8).withQueue(64);
 * }</pre>
 *
 * @param parallel       sequences generating at once (slots, each with a KV cache of {@code contextLength})
 * @param queueCapacity  requests that may wait for a slot; beyond it {@link BatchScheduler#submit} refuses
 * @param contextLength  positions of each sequence's KV cache: prompt plus generated tokens
 * @param prefillChunk   the most prompt tokens a sequence feeds in one step, so that a long prompt does not stall
 *                       running streams for long; prompts are always cut at multiples of it, so a sequence's chunks
 *                       do not depend on what else runs
 * @param kvType         the KV cache's element type
 * @param timeout        the default time a request may take from submission to its last token
 */
public record BatchConfig(int parallel, int queueCapacity, int contextLength, int prefillChunk, KvType kvType, Duration timeout) {
    public BatchConfig {
        if (parallel < 1) throw new IllegalArgumentException("parallel must be >= 1, got " + parallel);
        if (queueCapacity < 0) throw new IllegalArgumentException("queue capacity must be >= 0, got " + queueCapacity);
        if (contextLength < 2) throw new IllegalArgumentException("context length must be >= 2, got " + contextLength);
        if (prefillChunk < 1) throw new IllegalArgumentException("prefill chunk must be >= 1, got " + prefillChunk);
        if (kvType == null) throw new IllegalArgumentException("KV type is null");
        if (timeout == null || timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive, got " + timeout);
    }

    /** Four sequences, a queue of 256, chunks of 128 prompt tokens (as {@code generate}'s batch), F16 cache, 10 minutes. */
    public static BatchConfig defaults(int contextLength) {
        return new BatchConfig(4, 256, contextLength, 128, KvType.F16, Duration.ofMinutes(10));
    }

    public BatchConfig withParallel(int n) { return new BatchConfig(n, queueCapacity, contextLength, prefillChunk, kvType, timeout); }

    public BatchConfig withQueue(int n) { return new BatchConfig(parallel, n, contextLength, prefillChunk, kvType, timeout); }

    public BatchConfig withPrefillChunk(int n) { return new BatchConfig(parallel, queueCapacity, contextLength, n, kvType, timeout); }

    public BatchConfig withKvType(KvType t) { return new BatchConfig(parallel, queueCapacity, contextLength, prefillChunk, t, timeout); }

    public BatchConfig withTimeout(Duration d) { return new BatchConfig(parallel, queueCapacity, contextLength, prefillChunk, kvType, d); }
}
