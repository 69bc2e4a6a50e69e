package dev.vera4j.tests.serve;

import dev.vera4j.engine.batch.BatchConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import static dev.vera4j.tests.serve.ServeErrorsTest.assertError;
import static org.junit.jupiter.api.Assertions.*;

/**
 * One slot, no queue, slowed-down steps (20 ms): a full server answers 429 with Retry-After, a client that disconnects
 * mid-stream frees its slot (the request ends cancelled, not by its limits), and a request past its timeout gets 504 (or
 * an error event when streaming).
 */
class ServeLimitsTest {
    @TempDir static Path adapters;
    private static ServeFixture fixture;

    @BeforeAll
    static void start() throws Exception {
        fixture = ServeFixture.start(adapters, limits(Duration.ofMinutes(1)), 20);
    }

    @AfterAll
    static void stop() { fixture.close(); }

    private static BatchConfig limits(Duration timeout) {
        return BatchConfig.defaults(1024).withParallel(1).withQueue(0).withTimeout(timeout);
    }

    private static final String LONG = "{\"model\": \"stories260K\", \"prompt\": \"Once upon a time\", \"max_tokens\": 900, \"temperature\": 0, \"stream\": STREAM}";

    private static InputStream openStream(ServeFixture fixture) throws Exception {
        HttpResponse<InputStream> r = fixture.http.send(HttpRequest.newBuilder(URI.create(fixture.url() + "/v1/completions"))
                .header("Authorization", "Bearer " + ServeFixture.KEY).POST(HttpRequest.BodyPublishers.ofString(LONG.replace("STREAM", "true"))).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        return r.body();
    }

    private static int processing() throws Exception {
        return ((Long) ServeFixture.json(fixture.get("/health").body()).get("slots_processing")).intValue();
    }

    @Test
    void aFullServerSays429WithRetryAfterAndADisconnectFreesTheSlot() throws Exception {
        InputStream stream = openStream(fixture);
        BufferedReader lines = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8));
        String line;
        do line = lines.readLine(); while (line != null && !line.startsWith("data: "));   // skips keep-alive comments
        assertNotNull(line, "the first token arrived");
        HttpResponse<String> busy = fixture.post("/v1/completions", "{\"model\": \"stories260K\", \"prompt\": \"Hi\", \"max_tokens\": 2}");
        assertError(busy, 429, "rate_limit_error", null, "queue_full");
        assertTrue(Integer.parseInt(busy.headers().firstValue("Retry-After").orElseThrow()) >= 1);
        assertEquals(1, processing());

        stream.close();   // the client goes away mid-stream (HttpClient's stream closes its connection)
        for (long until = System.nanoTime() + 30_000_000_000L; processing() != 0 && System.nanoTime() < until; ) Thread.sleep(5);
        assertEquals(0, processing(), "the slot is free again, long before the 900 tokens (18 s of steps) or the timeout");
        assertEquals(200, fixture.post("/v1/completions", "{\"model\": \"stories260K\", \"prompt\": \"Hi\", \"max_tokens\": 2}").statusCode());
        // the request's log line is written once its handler has returned, which may be just after the slot was freed
        for (long until = System.nanoTime() + 5_000_000_000L; !fixture.log().contains("status=499") && System.nanoTime() < until; ) Thread.sleep(10);
        assertTrue(fixture.log().contains("status=499") && fixture.log().contains("finish=disconnected"), fixture.log());
        String metrics = fixture.get("/metrics").body();
        assertTrue(metrics.contains("vera4j_sequences_total{outcome=\"cancelled\"} 1"), metrics);
        assertTrue(metrics.contains("vera4j_sequences_total{outcome=\"timed_out\"} 0"), metrics);
        assertTrue(metrics.contains("vera4j_sequences_total{outcome=\"completed\"} 1"), "only the short request completed: " + metrics);
        assertTrue(metrics.contains("vera4j_rejected_total 1"), metrics);
    }

    @Test
    void aRequestPastItsTimeoutIs504OrAnErrorEvent(@TempDir Path none) throws Exception {
        StringBuilder events = new StringBuilder();
        try (ServeFixture late = ServeFixture.start(none, limits(Duration.ofMillis(1500)), 20)) {
            assertError(late.post("/v1/completions", LONG.replace("STREAM", "false")), 504, "timeout_error", null, "timeout");
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(openStream(late), StandardCharsets.UTF_8))) {
                for (String l; (l = lines.readLine()) != null; ) events.append(l).append('\n');
            }
        }
        String last = events.toString().strip().lines().reduce((a, b) -> b).orElseThrow();
        assertTrue(last.startsWith("data: {\"error\": ") || last.startsWith("data: {\"error\":"), last);
        assertTrue(last.contains("\"code\":\"timeout\""), last);
        assertFalse(events.toString().contains("[DONE]"));
    }
}
