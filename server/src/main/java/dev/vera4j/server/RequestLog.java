package dev.vera4j.server;

import java.io.PrintStream;
import java.util.Locale;

/**
 * What the server logs about one request, filled in as the request goes, and written as one line to stderr at the end:
 * {@code request chatcmpl-1f2e POST /v1/chat/completions model=alice status=200 prompt=12 completion=30 ttft=45ms
 * time=1.234s finish=stop}.
 *
 * <pre>{@code
 * RequestLog log = new RequestLog("POST", "/v1/completions", System.nanoTime());
 * log.model = "stories260K";
 * log.print(System.err, System.nanoTime());
 * }</pre>
 */
final class RequestLog {
    final String method;
    final String path;
    final long startNanos;
    String id = "-";
    String model;
    int status;
    int promptTokens = -1;
    int completionTokens = -1;
    long ttftNanos = -1;
    /** finish_reason, or what ended it otherwise ({@code disconnected}, {@code timeout}, an error code). */
    String finish;

    RequestLog(String method, String path, long startNanos) {
        this.method = method;
        this.path = path;
        this.startNanos = startNanos;
    }

    String line(long nowNanos) {
        StringBuilder sb = new StringBuilder("request ").append(id).append(' ').append(method).append(' ').append(path);
        if (model != null) sb.append(" model=").append(model);
        sb.append(" status=").append(status);
        if (promptTokens >= 0) sb.append(" prompt=").append(promptTokens);
        if (completionTokens >= 0) sb.append(" completion=").append(completionTokens);
        if (ttftNanos >= 0) sb.append(String.format(Locale.ROOT, " ttft=%dms", ttftNanos / 1_000_000));
        sb.append(String.format(Locale.ROOT, " time=%.3fs", (nowNanos - startNanos) / 1e9));
        if (finish != null) sb.append(" finish=").append(finish);
        return sb.toString();
    }

    void print(PrintStream err, long nowNanos) {
        err.println(line(nowNanos));
        err.flush();
    }
}
