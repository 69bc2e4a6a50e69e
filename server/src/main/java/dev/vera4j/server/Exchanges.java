package dev.vera4j.server;

import com.sun.net.httpserver.HttpExchange;
import dev.vera4j.engine.json.Json;
import dev.vera4j.engine.json.JsonException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Reading requests and writing answers over a {@link HttpExchange}: the body within a size limit (413 beyond it),
 * JSON parsing (400 on malformed input), JSON answers and OpenAI error bodies.
 *
 * <pre>{@code
 * Map<String, Object> body = Exchanges.readJsonObject(exchange, 8 << 20);
 * Exchanges.sendJson(exchange, 200, Map.of("object", "list", "data", List.of()));
 * }</pre>
 */
final class Exchanges {
    private Exchanges() {}

    /**
     * The body as a JSON object.
     *
     * @throws ApiException 413 when it is longer than {@code maxBytes}, 400 when it is not a JSON object
     */
    static Map<String, Object> readJsonObject(HttpExchange ex, long maxBytes) throws IOException {
        String declared = ex.getRequestHeaders().getFirst("Content-Length");
        if (declared != null) {
            long n;
            try {
                n = Long.parseLong(declared.trim());
            } catch (NumberFormatException e) {
                throw ApiException.invalid(null, "invalid_request", "Invalid Content-Length header.");
            }
            if (n > maxBytes) throw tooLarge(n, maxBytes);
        }
        byte[] bytes;
        try (InputStream in = ex.getRequestBody()) {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
        }
        if (bytes.length > maxBytes) throw tooLarge(-1, maxBytes);
        Object parsed;
        try {
            parsed = Json.parse(new String(bytes, StandardCharsets.UTF_8));
        } catch (JsonException e) {
            throw ApiException.invalid(null, "invalid_json", "We could not parse the JSON body of your request: " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> m)) {
            throw ApiException.invalid(null, "invalid_json", "The request body must be a JSON object, got " + JsonFields.typeName(parsed) + ".");
        }
        @SuppressWarnings("unchecked") Map<String, Object> map = (Map<String, Object>) m;
        return map;
    }

    private static ApiException tooLarge(long size, long max) {
        return new ApiException(413, "invalid_request_error", null, "request_too_large", "The request body "
                + (size >= 0 ? "has " + size + " bytes; " : "is too large; ") + "the limit is " + max + " bytes (--max-body).", 0);
    }

    private static boolean mayLeaveBodyUnread(HttpExchange ex) {
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        if (ex.getRequestHeaders().containsKey("Transfer-Encoding")) return true;
        try {
            return length != null && Long.parseLong(length.trim()) > 64 * 1024;
        } catch (NumberFormatException e) {
            return true;
        }
    }

    static void sendJson(HttpExchange ex, int status, Object body) throws IOException {
        byte[] bytes = Json.write(body).getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    static void sendText(HttpExchange ex, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    static void sendError(HttpExchange ex, ApiException e) throws IOException {
        if (e.retryAfterSeconds > 0) ex.getResponseHeaders().set("Retry-After", Integer.toString(e.retryAfterSeconds));
        // The JDK server drains at most 64 KiB of an unread request body and otherwise closes the connection after the
        // answer without saying so; a client that reused it would then read nothing. Announce the close instead.
        if (e.status == 413 || mayLeaveBodyUnread(ex)) ex.getResponseHeaders().set("Connection", "close");
        sendJson(ex, e.status, e.body());
    }
}
