package dev.vera4j.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The server's one {@link HttpHandler}: checks the API key, picks the endpoint, turns failures into OpenAI error
 * bodies, counts the request and logs it (one line to stderr; {@code /health} and {@code /metrics} are not logged).
 *
 * <pre>{@code
 * httpServer.createContext("/", new Router(endpoints, apiKey, maxBody, metrics, System.err));
 * }</pre>
 */
final class Router implements HttpHandler {
    private final Endpoints endpoints;
    private final byte[] apiKey;
    private final long maxBody;
    private final Metrics metrics;
    private final PrintStream log;

    Router(Endpoints endpoints, String apiKey, long maxBody, Metrics metrics, PrintStream log) {
        this.endpoints = endpoints;
        this.apiKey = apiKey == null ? null : apiKey.getBytes(StandardCharsets.UTF_8);
        this.maxBody = maxBody;
        this.metrics = metrics;
        this.log = log;
    }

    @Override
    public void handle(HttpExchange ex) {
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getPath();
        RequestLog entry = new RequestLog(method, path, System.nanoTime());
        String label = label(normalize(path));
        try {
            route(ex, method, normalize(path), entry);
        } catch (GenerationHandler.ClientGone e) {
            entry.status = 499;   // nginx's "client closed request"
        } catch (ApiException e) {
            entry.status = e.status;
            if (entry.finish == null) entry.finish = e.code;
            send(ex, e);
        } catch (IOException e) {
            entry.status = entry.status == 0 ? 499 : entry.status;
            entry.finish = "io: " + e.getMessage();
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            ApiException internal = new ApiException(500, "server_error", null, "internal_error",
                    "Internal error: " + (e.getMessage() == null ? e.toString() : e.getMessage()), 0);
            entry.status = 500;
            entry.finish = "internal_error";
            send(ex, internal);
        } finally {
            ex.close();
            long now = System.nanoTime();
            metrics.request(label, entry.status, (now - entry.startNanos) / 1e9);
            if (!label.equals("health") && !label.equals("metrics")) entry.print(log, now);
        }
    }

    private static void send(HttpExchange ex, ApiException e) {
        try {
            Exchanges.sendError(ex, e);
        } catch (IOException | RuntimeException ignored) {
            // the response had begun (a stream) or the client is gone: nothing more can be said
        }
    }

    /** The same endpoints answer with and without the {@code /v1} prefix, as llama-server's do. */
    private static String normalize(String path) {
        if (path.length() > 1 && path.endsWith("/")) path = path.substring(0, path.length() - 1);
        return path.startsWith("/v1/") ? path.substring(3) : path;
    }

    /** The endpoint's name in metrics. */
    private static String label(String path) {
        return switch (path) {
            case "/health" -> "health";
            case "/metrics" -> "metrics";
            case "/chat/completions" -> "chat_completions";
            case "/completions" -> "completions";
            case "/adapters/reload" -> "adapters_reload";
            default -> path.equals("/models") || path.startsWith("/models/") ? "models" : "other";
        };
    }

    private void route(HttpExchange ex, String method, String path, RequestLog entry) throws IOException {
        if (path.equals("/health")) {
            requireMethod(method, "GET");
            entry.status = endpoints.health(ex);
            return;
        }
        authorize(ex);
        switch (path) {
            case "/chat/completions" -> {
                requireMethod(method, "POST");
                endpoints.generate(ex, Endpoint.CHAT, Exchanges.readJsonObject(ex, maxBody), entry);
            }
            case "/completions" -> {
                requireMethod(method, "POST");
                endpoints.generate(ex, Endpoint.TEXT, Exchanges.readJsonObject(ex, maxBody), entry);
            }
            case "/models" -> {
                requireMethod(method, "GET");
                entry.status = endpoints.models(ex);
            }
            case "/metrics" -> {
                requireMethod(method, "GET");
                entry.status = endpoints.metrics(ex);
            }
            case "/adapters/reload" -> {
                requireMethod(method, "POST");
                entry.status = endpoints.reload(ex);
            }
            default -> {
                if (path.startsWith("/models/")) {
                    requireMethod(method, "GET");
                    entry.status = endpoints.model(ex, path.substring("/models/".length()));
                    return;
                }
                throw new ApiException(404, "invalid_request_error", null, "unknown_url", "Unknown request URL: " + method + " "
                        + ex.getRequestURI().getPath() + ". Endpoints: " + String.join(", ", List.of("GET /v1/models",
                        "POST /v1/chat/completions", "POST /v1/completions", "POST /v1/adapters/reload", "GET /health", "GET /metrics")) + ".", 0);
            }
        }
    }

    private static void requireMethod(String method, String allowed) {
        if (!method.equals(allowed)) {
            throw new ApiException(405, "invalid_request_error", null, "method_not_allowed", "Method " + method + " is not allowed here; use " + allowed + ".", 0);
        }
    }

    private void authorize(HttpExchange ex) {
        if (apiKey == null) return;
        String h = ex.getRequestHeaders().getFirst("Authorization");
        byte[] given = h != null && h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
        if (!MessageDigest.isEqual(given, apiKey)) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            throw new ApiException(401, "invalid_request_error", null, "invalid_api_key",
                    h == null ? "You didn't provide an API key. Provide it in the Authorization header as 'Bearer YOUR_KEY'."
                            : "Incorrect API key provided.", 0);
        }
    }

    /** What {@link Router} dispatches to: one method per endpoint, each returning the status it answered with. */
    interface Endpoints {
        int health(HttpExchange ex) throws IOException;

        int models(HttpExchange ex) throws IOException;

        int model(HttpExchange ex, String id) throws IOException;

        int metrics(HttpExchange ex) throws IOException;

        int reload(HttpExchange ex) throws IOException;

        void generate(HttpExchange ex, Endpoint endpoint, Map<String, Object> body, RequestLog entry) throws IOException;
    }

    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }
}
