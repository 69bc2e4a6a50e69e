package dev.vera4j.server;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request that gets an error answer: the HTTP status and OpenAI's error body
 * {@code {"error": {"message", "type", "param", "code"}}}, plus a {@code Retry-After} for 429/503.
 *
 * <pre>{@code
 * throw ApiException.invalid("temperature", "invalid_value", "'temperature' must be between 0 and 2, got 3");
 * }</pre>
 *
 * @param retryAfterSeconds 0 for none
 */
final class ApiException extends RuntimeException {
    final int status;
    final String type;
    final String param;
    final String code;
    final int retryAfterSeconds;

    ApiException(int status, String type, String param, String code, String message, int retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400, {@code invalid_request_error}. */
    static ApiException invalid(String param, String code, String message) {
        return new ApiException(400, "invalid_request_error", param, code, message, 0);
    }

    static ApiException notFound(String param, String code, String message) {
        return new ApiException(404, "invalid_request_error", param, code, message, 0);
    }

    /** OpenAI's body: {@code {"error": {"message", "type", "param", "code"}}}. */
    Map<String, Object> body() {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("message", getMessage());
        e.put("type", type);
        e.put("param", param);
        e.put("code", code);
        return Map.of("error", e);
    }
}
