package dev.vera4j.server;

import com.sun.net.httpserver.HttpExchange;
import dev.vera4j.engine.batch.BatchHandle;
import dev.vera4j.engine.batch.BatchListener;
import dev.vera4j.engine.batch.BatchRejectedException;
import dev.vera4j.engine.batch.BatchRequest;
import dev.vera4j.engine.batch.BatchResult;
import dev.vera4j.engine.batch.BatchScheduler;
import dev.vera4j.engine.batch.TokenEvent;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * {@code POST /v1/chat/completions} and {@code /v1/completions}: parses the request, submits it to the scheduler and
 * answers as one JSON object or as server-sent events. The scheduler's thread only puts events into a queue; this
 * handler's own (virtual) thread writes them, so a slow client never holds up the batch, and a write that fails (the
 * client went away) cancels the sequence, which frees its slot before the next step.
 *
 * <pre>{@code
 * new GenerationHandler(parser, scheduler, Duration.ofSeconds(5)).handle(exchange, Endpoint.CHAT, body, log);
 * }</pre>
 */
final class GenerationHandler {
    private final RequestParser parser;
    private final BatchScheduler scheduler;
    private final Duration keepAlive;

    /** @param keepAlive how long a stream may stay silent (queued, reading a long prompt) before a keep-alive comment */
    GenerationHandler(RequestParser parser, BatchScheduler scheduler, Duration keepAlive) {
        this.parser = parser;
        this.scheduler = scheduler;
        this.keepAlive = keepAlive;
    }

    /** The scheduler's side: events go into a queue for the handler's thread, never blocking. */
    private static final class Events implements BatchListener {
        final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();

        @Override public void onToken(TokenEvent event) { queue.add(event); }

        @Override public void onFinish(BatchResult result) { queue.add(result); }
    }

    void handle(HttpExchange ex, Endpoint endpoint, Map<String, Object> body, RequestLog log) throws IOException {
        CompletionRequest r = parser.parse(endpoint, body);
        log.model = r.model();
        log.promptTokens = r.prompt().length;
        Events events = new Events();
        BatchHandle handle;
        try {
            handle = scheduler.submit(BatchRequest.of(r.prompt(), r.options()).withAdapter(r.adapter()).withLogprobs(r.logprobs()), events);
        } catch (BatchRejectedException e) {
            boolean full = e.reason() == BatchRejectedException.Reason.QUEUE_FULL;
            throw new ApiException(full ? 429 : 503, full ? "rate_limit_error" : "server_error", null,
                    full ? "queue_full" : "shutting_down", (full ? "The server is busy: " : "") + e.getMessage() + "; retry later.",
                    e.retryAfterSeconds());
        }
        byte[] random = new byte[12];
        ThreadLocalRandom.current().nextBytes(random);
        Wire wire = new Wire(endpoint, endpoint.idPrefix + HexFormat.of().formatHex(random), r.model(), System.currentTimeMillis() / 1000);
        log.id = wire.id();
        try {
            if (r.stream()) stream(ex, r, events, wire, log);
            else whole(ex, r, events, wire, log);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            handle.cancel();   // no-op once finished; frees the slot if this thread left early
        }
    }

    private void whole(HttpExchange ex, CompletionRequest r, Events events, Wire wire, RequestLog log) throws IOException, InterruptedException {
        List<TokenEvent> tokens = new ArrayList<>();
        BatchResult result;
        while (true) {
            Object o = events.queue.take();
            if (o instanceof TokenEvent e) tokens.add(e);
            else {
                result = (BatchResult) o;
                break;
            }
        }
        record(log, result);
        ApiException failure = failure(result);
        if (failure != null) throw failure;
        log.status = 200;
        Exchanges.sendJson(ex, 200, wire.response(result, tokens, r.echo(), r.logprobs() >= 0));
    }

    private void stream(HttpExchange ex, CompletionRequest r, Events events, Wire wire, RequestLog log) throws IOException, InterruptedException {
        SseStream sse = SseStream.open(ex);
        log.status = 200;
        try {
            if (r.endpoint() == Endpoint.CHAT) sse.event(wire.roleChunk());
            if (r.echo() != null && !r.echo().isEmpty()) sse.event(wire.textChunk(r.echo()));
            boolean logprobs = r.logprobs() >= 0;
            while (true) {
                Object o = events.queue.poll(keepAlive.toMillis(), TimeUnit.MILLISECONDS);
                if (o == null) {
                    sse.keepAlive();
                } else if (o instanceof TokenEvent e) {
                    if (!e.text().isEmpty() || (logprobs && e.logprob() != null)) sse.event(wire.tokenChunk(e, logprobs));
                } else {
                    BatchResult result = (BatchResult) o;
                    record(log, result);
                    ApiException failure = failure(result);
                    if (failure != null) {
                        sse.event(failure.body());   // the status line went out already: the error travels as an event
                        return;
                    }
                    Map<String, Object> usage = wire.usage(result.promptTokens(), result.generatedTokens(), result.cachedPromptTokens());
                    sse.event(wire.finishChunk(Wire.finishReason(result.stopReason()), usage));
                    if (r.includeUsage()) sse.event(wire.usageChunk(usage));
                    sse.done();
                    return;
                }
            }
        } catch (IOException e) {
            log.finish = "disconnected";
            throw new ClientGone(e);
        }
    }

    private static void record(RequestLog log, BatchResult result) {
        log.completionTokens = result.generatedTokens();
        log.ttftNanos = result.timeToFirstTokenNanos();
        log.finish = switch (result.outcome()) {
            case COMPLETED -> Wire.finishReason(result.stopReason());
            case TIMED_OUT -> "timeout";
            case CANCELLED -> "cancelled";
            case FAILED -> "failed";
        };
    }

    /** The error answer for a request that did not complete, or {@code null}. */
    private static ApiException failure(BatchResult r) {
        return switch (r.outcome()) {
            case COMPLETED -> null;
            case TIMED_OUT -> new ApiException(504, "timeout_error", null, "timeout", "The request timed out after "
                    + Math.round(r.totalNanos() / 1e9) + " s (--timeout) with " + r.generatedTokens() + " tokens generated.", 0);
            case CANCELLED -> new ApiException(503, "server_error", null, "shutting_down", "The server is shutting down; retry later.", 5);
            case FAILED -> new ApiException(500, "server_error", null, "generation_failed", "Generation failed: " + r.error(), 0);
        };
    }

    /** The client went away mid-stream: nothing more can be written, and nothing is wrong with the server. */
    static final class ClientGone extends IOException {
        ClientGone(IOException cause) { super("client disconnected", cause); }
    }
}
