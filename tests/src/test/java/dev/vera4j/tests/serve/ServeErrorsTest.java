package dev.vera4j.tests.serve;

import dev.vera4j.engine.batch.BatchConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Every error answer of the server: its status code and OpenAI's error body {@code {"error": {message, type, param, code}}}. */
class ServeErrorsTest {
    @TempDir static Path adapters;
    private static ServeFixture fixture;

    @BeforeAll
    static void start() throws Exception {
        ServeFixture.writeAdapters(adapters, 1);
        fixture = ServeFixture.start(adapters, BatchConfig.defaults(256).withParallel(2));
    }

    @AfterAll
    static void stop() { fixture.close(); }

    /** Asserts the status and the error body; returns the error object. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> assertError(HttpResponse<String> r, int status, String type, String param, String code) {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        Map<String, Object> e = (Map<String, Object>) ServeFixture.json(r.body()).get("error");
        assertNotNull(e, r.body());
        assertEquals(java.util.Set.of("message", "type", "param", "code"), e.keySet());
        assertEquals(type, e.get("type"), r.body());
        assertEquals(param, e.get("param"), r.body());
        assertEquals(code, e.get("code"), r.body());
        assertFalse(((String) e.get("message")).isBlank());
        return e;
    }

    private static HttpResponse<String> chat(String fields) throws Exception {
        return fixture.post("/v1/chat/completions", "{\"model\": \"stories260K\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]" + fields + "}");
    }

    @Test
    void aMissingOrWrongApiKeyIs401() throws Exception {
        HttpResponse<String> none = fixture.http.send(HttpRequest.newBuilder(URI.create(fixture.url() + "/v1/models")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertError(none, 401, "invalid_request_error", null, "invalid_api_key");
        HttpResponse<String> wrong = fixture.http.send(HttpRequest.newBuilder(URI.create(fixture.url() + "/v1/models"))
                .header("Authorization", "Bearer nope").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("Incorrect API key provided.", assertError(wrong, 401, "invalid_request_error", null, "invalid_api_key").get("message"));
        HttpResponse<String> health = fixture.http.send(HttpRequest.newBuilder(URI.create(fixture.url() + "/health")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), "health needs no key");
    }

    @Test
    void aBodyOverTheLimitIs413() throws Exception {
        String big = "x".repeat(70_000);
        HttpResponse<String> r = fixture.post("/v1/completions", "{\"model\": \"stories260K\", \"prompt\": \"" + big + "\"}");
        assertError(r, 413, "invalid_request_error", null, "request_too_large");
        // the unread body ends the connection; saying so keeps the client from reusing it for the next request
        assertEquals("close", r.headers().firstValue("Connection").orElse(""));
        for (int i = 0; i < 3; i++) {
            assertError(fixture.post("/v1/chat/completions", "{\"model\": "), 400, "invalid_request_error", null, "invalid_json");
        }
    }

    @Test
    void malformedJsonMissingFieldsAndWrongTypesAre400() throws Exception {
        assertError(fixture.post("/v1/chat/completions", "{\"model\": "), 400, "invalid_request_error", null, "invalid_json");
        assertError(fixture.post("/v1/chat/completions", "[1, 2]"), 400, "invalid_request_error", null, "invalid_json");
        assertError(fixture.post("/v1/chat/completions", "{\"messages\": []}"), 400, "invalid_request_error", "model", "missing_required_parameter");
        assertError(fixture.post("/v1/chat/completions", "{\"model\": \"stories260K\"}"), 400, "invalid_request_error", "messages", "missing_required_parameter");
        assertError(fixture.post("/v1/completions", "{\"model\": \"stories260K\"}"), 400, "invalid_request_error", "prompt", "missing_required_parameter");
        assertError(fixture.post("/v1/chat/completions", "{\"model\": \"stories260K\", \"messages\": \"Hi\"}"), 400, "invalid_request_error", "messages", "invalid_type");
        assertError(fixture.post("/v1/chat/completions", "{\"model\": \"stories260K\", \"messages\": [{\"content\": \"Hi\"}]}"), 400,
                "invalid_request_error", "messages[0].role", "missing_required_parameter");
        Map<String, Object> e = assertError(chat(", \"temperature\": \"hot\""), 400, "invalid_request_error", "temperature", "invalid_type");
        assertEquals("Invalid type for 'temperature': expected a decimal, but got a string instead.", e.get("message"));
        assertError(chat(", \"temperature\": 3"), 400, "invalid_request_error", "temperature", "invalid_value");
        assertError(chat(", \"stream\": \"yes\""), 400, "invalid_request_error", "stream", "invalid_type");
        assertError(chat(", \"max_tokens\": 1.5"), 400, "invalid_request_error", "max_tokens", "invalid_type");
        assertError(chat(", \"stop\": [1]"), 400, "invalid_request_error", "stop", "invalid_type");
        assertError(chat(", \"stream_options\": {\"include_usage\": 1}"), 400, "invalid_request_error", "stream_options.include_usage", "invalid_type");
        assertError(chat(", \"n\": 2"), 400, "invalid_request_error", "n", "invalid_value");
        assertError(chat(", \"top_logprobs\": 3"), 400, "invalid_request_error", "top_logprobs", "invalid_value");
        assertEquals(200, chat(", \"unknown_field\": {\"ignored\": true}, \"max_tokens\": 2").statusCode(), "unknown fields are ignored");
    }

    @Test
    void anUnknownModelIs404() throws Exception {
        assertError(fixture.post("/v1/chat/completions", "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}"),
                404, "invalid_request_error", "model", "model_not_found");
        assertError(fixture.get("/v1/models/other-base"), 404, "invalid_request_error", "model", "model_not_found");
    }

    @Test
    void promptAndMaxTokensBeyondTheContextAre400NamingTheNumbers() throws Exception {
        Map<String, Object> e = assertError(fixture.post("/v1/completions", "{\"model\": \"stories260K\", \"prompt\": \"Once upon a time\", \"max_tokens\": 300}"),
                400, "invalid_request_error", "prompt", "context_length_exceeded");
        assertEquals("This model's maximum context length is 256 tokens. However, you requested 305 tokens (5 in the prompt, 300 in the"
                + " completion). Please reduce the length of the prompt or completion.", e.get("message"));
        String longPrompt = "Once upon a time ".repeat(80);
        e = assertError(fixture.post("/v1/chat/completions", "{\"model\": \"stories260K\", \"messages\": [{\"role\": \"user\", \"content\": \""
                + longPrompt + "\"}]}"), 400, "invalid_request_error", "messages", "context_length_exceeded");
        assertTrue(((String) e.get("message")).startsWith("This model's maximum context length is 256 tokens. However, your messages resulted in "), (String) e.get("message"));
    }

    @Test
    void unknownUrlsAre404AndWrongMethods405() throws Exception {
        assertError(fixture.get("/v1/embeddings"), 404, "invalid_request_error", null, "unknown_url");
        assertError(fixture.get("/v1/chat/completions"), 405, "invalid_request_error", null, "method_not_allowed");
    }

    @Test
    void reloadPicksUpNewAdaptersAndRefusesOtherBases() throws Exception {
        ServeFixture.adapter(dev.vera4j.vera.BaseFingerprint.of(ServeFixture.STORIES), 99).write(adapters.resolve("late.gguf"), dev.vera4j.gguf.GgmlType.F32);
        HttpResponse<String> r = fixture.post("/v1/adapters/reload", "");
        assertEquals(200, r.statusCode(), r.body());
        Map<String, Object> body = ServeFixture.json(r.body());
        if (!((java.util.List<?>) body.get("added")).isEmpty()) assertEquals(java.util.List.of("late"), body.get("added"));
        assertTrue(fixture.get("/v1/models").body().contains("\"late\""), "picked up by the watch or the reload");
        assertEquals(200, fixture.post("/v1/completions", "{\"model\": \"late\", \"prompt\": \"Once\", \"max_tokens\": 3}").statusCode());
        assertFalse(fixture.get("/v1/models").body().contains("other-base"));
    }
}
