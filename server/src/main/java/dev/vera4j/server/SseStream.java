package dev.vera4j.server;

import com.sun.net.httpserver.HttpExchange;
import dev.vera4j.engine.json.Json;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A server-sent-events answer: {@code 200 text/event-stream} sent chunked, then one {@code data: JSON} event per call,
 * each flushed at once, and {@code data: [DONE]} at the end. A write to a client that went away throws
 * {@link IOException}, which is how the server notices a disconnect (the JDK server offers no other signal).
 *
 * <pre>{@code
 * SseStream sse = SseStream.open(exchange);
 * sse.event(chunk);
 * sse.done();
 * }</pre>
 */
final class SseStream {
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEEP_ALIVE = ": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII);

    private final OutputStream out;

    private SseStream(OutputStream out) { this.out = out; }

    static SseStream open(HttpExchange ex) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.getResponseHeaders().set("X-Accel-Buffering", "no");
        ex.sendResponseHeaders(200, 0);
        return new SseStream(ex.getResponseBody());
    }

    void event(Object json) throws IOException {
        out.write(("data: " + Json.write(json) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** A comment line, which clients ignore: sent while a request waits, to find out whether its client is still there. */
    void keepAlive() throws IOException {
        out.write(KEEP_ALIVE);
        out.flush();
    }

    void done() throws IOException {
        out.write(DONE);
        out.flush();
    }
}
