package dev.vera4j.server;

import dev.vera4j.engine.batch.SchedulerStats;
import dev.vera4j.vera.AdapterCache;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The server's Prometheus metrics ({@code GET /metrics}, text format 0.0.4): requests by endpoint and status, request
 * time, and the scheduler's and adapter cache's figures read when scraped.
 *
 * <pre>{@code
 * metrics.request("/v1/chat/completions", 200, 1.25);
 * String text = metrics.render(scheduler.stats(), cache.stats(), adapterCount);
 * }</pre>
 */
final class Metrics {
    private record Key(String endpoint, int status) {}

    private final Map<Key, LongAdder> requests = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> seconds = new ConcurrentHashMap<>();

    void request(String endpoint, int status, double elapsedSeconds) {
        requests.computeIfAbsent(new Key(endpoint, status), k -> new LongAdder()).increment();
        seconds.computeIfAbsent(endpoint, k -> new LongAdder()).add(Math.round(elapsedSeconds * 1e6));
    }

    /** @param cache {@code null} when the server has no adapters */
    String render(SchedulerStats s, AdapterCache.Stats cache, int adapters) {
        StringBuilder sb = new StringBuilder();
        header(sb, "vera4j_requests_total", "counter", "HTTP requests answered, by endpoint and status code.");
        Map<Key, LongAdder> sorted = new TreeMap<>((a, b) -> a.endpoint.equals(b.endpoint) ? Integer.compare(a.status, b.status) : a.endpoint.compareTo(b.endpoint));
        sorted.putAll(requests);
        sorted.forEach((k, v) -> sb.append("vera4j_requests_total{endpoint=\"").append(k.endpoint).append("\",code=\"")
                .append(k.status).append("\"} ").append(v.sum()).append('\n'));
        header(sb, "vera4j_request_seconds_total", "counter", "Time spent answering requests, by endpoint.");
        new TreeMap<>(seconds).forEach((k, v) -> sb.append("vera4j_request_seconds_total{endpoint=\"").append(k).append("\"} ")
                .append(String.format(Locale.ROOT, "%.6f", v.sum() / 1e6)).append('\n'));
        metric(sb, "vera4j_prompt_tokens_total", "counter", "Prompt tokens processed.", s.promptTokens());
        metric(sb, "vera4j_prompt_tokens_reused_total", "counter", "Prompt tokens found in a slot's cache from an earlier request.",
                s.promptTokensReused());
        metric(sb, "vera4j_generated_tokens_total", "counter", "Tokens generated.", s.generatedTokens());
        metric(sb, "vera4j_steps_total", "counter", "Batched model steps run.", s.steps());
        header(sb, "vera4j_sequences_total", "counter", "Generations ended, by outcome.");
        sb.append("vera4j_sequences_total{outcome=\"completed\"} ").append(s.completed()).append('\n');
        sb.append("vera4j_sequences_total{outcome=\"cancelled\"} ").append(s.cancelled()).append('\n');
        sb.append("vera4j_sequences_total{outcome=\"timed_out\"} ").append(s.timedOut()).append('\n');
        sb.append("vera4j_sequences_total{outcome=\"failed\"} ").append(s.failed()).append('\n');
        metric(sb, "vera4j_rejected_total", "counter", "Requests refused because the queue was full or the server was draining.", s.rejected());
        metric(sb, "vera4j_queue_depth", "gauge", "Requests waiting for a sequence slot.", s.queued());
        metric(sb, "vera4j_active_sequences", "gauge", "Sequences holding a slot.", s.active());
        metric(sb, "vera4j_parallel_sequences", "gauge", "Slots (--parallel).", s.parallel());
        metric(sb, "vera4j_batch_size", "gauge", "Sequences in the latest step.", s.lastBatchSize());
        header(sb, "vera4j_generation_tokens_per_second", "gauge", "Tokens generated per second over the last ten seconds.");
        sb.append("vera4j_generation_tokens_per_second ").append(String.format(Locale.ROOT, "%.3f", s.tokensPerSecond())).append('\n');
        metric(sb, "vera4j_adapters", "gauge", "Adapters in --adapters.", adapters);
        if (cache != null) {
            metric(sb, "vera4j_adapter_cache_hits_total", "counter", "Adapter look-ups served from memory.", cache.hits());
            metric(sb, "vera4j_adapter_cache_misses_total", "counter", "Adapter look-ups that loaded the adapter.", cache.misses());
            metric(sb, "vera4j_adapter_cache_evictions_total", "counter", "Adapters dropped from memory.", cache.evictions());
            metric(sb, "vera4j_adapter_cache_adapters", "gauge", "Adapters in memory.", cache.adapters());
            metric(sb, "vera4j_adapter_cache_bytes", "gauge", "Bytes of adapters and shared projections in memory.", cache.bytes());
            metric(sb, "vera4j_adapter_cache_max_bytes", "gauge", "The cache's budget (--adapter-cache).", cache.maxBytes());
        }
        return sb.toString();
    }

    private static void metric(StringBuilder sb, String name, String type, String help, long value) {
        header(sb, name, type, help);
        sb.append(name).append(' ').append(value).append('\n');
    }

    private static void header(StringBuilder sb, String name, String type, String help) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }
}
