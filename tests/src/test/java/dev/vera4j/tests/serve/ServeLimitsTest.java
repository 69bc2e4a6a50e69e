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
 * One slot, no queue, slowed-down steps: a full server answers 429 with Retry-After, a client that disconnects
 * mid-stream frees its slot at once, and a request past its timeout gets 504 (or an error event when streaming).
 */
class ServeLimitsTest {
    @TempDir static Path adapters;
    private static ServeFixture fixture;

    @BeforeAll
    static void start() throws Exception {
        fixture = ServeFixture.start(adapters, BatchConfig.defaults(1024).withParallel(1).withQueue(0).withTimeout(Duration.ofMillis(1500)), 20);
    }

    @AfterAll
    static void stop() { fixture.close(); }

    private static final String LONG = "{\"model\": \"stories260K\", \"prompt\": \"Once upon a time\", \"max_tokens\": 900, \"temperature\": 0, \"stream\": STREAM}";

    private InputStream openStream() throws Exception {
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
        InputStream stream = openStream();
        BufferedReader lines = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8));
        String line;
        do line = lines.readLine(); while (line != null && !line.startsWith("data: "));   // skips keep-alive comments
        assertNotNull(line, "the first token arrived");
        HttpResponse<String> busy = fixture.post("/v1/completions", "{\"model\": \"stories260K\", \"prompt\": \"Hi\", \"max_tokens\": 2}");
        assertError(busy, 429, "rate_limit_error", null, "queue_full");
        assertTrue(Integer.parseInt(busy.headers().firstValue("Retry-After").orElseThrow()) >= 1);
        assertEquals(1, processing());

        long closed = System.nanoTime();
        stream.close();   // the client goes away mid-stream (HttpClient's stream closes its connection)
        while (processing() != 0) {
            assertTrue(System.nanoTime() - closed < 1_000_000_000L, "the slot must be freed well before the request's 1.5 s timeout");
            Thread.sleep(5);
        }
        assertEquals(200, fixture.post("/v1/completions", "{\"model\": \"stories260K\", \"prompt\": \"Hi\", \"max_tokens\": 2}").statusCode());
        assertTrue(fixture.log().contains("status=200") && fixture.log().contains("finish=disconnected"), fixture.log());
        String metrics = fixture.get("/metrics").body();
        assertTrue(metrics.contains("vera4j_sequences_total{outcome=\"cancelled\"} 1"), metrics);
        assertTrue(metrics.contains("vera4j_rejected_total 1"), metrics);
    }

    @Test
    void aRequestPastItsTimeoutIs504OrAnErrorEvent() throws Exception {
        assertError(fixture.post("/v1/completions", LONG.replace("STREAM", "false")), 504, "timeout_error", null, "timeout");
        StringBuilder events = new StringBuilder();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(openStream(), StandardCharsets.UTF_8))) {
            for (String l; (l = lines.readLine()) != null; ) events.append(l).append('\n');
        }
        String last = events.toString().strip().lines().reduce((a, b) -> b).orElseThrow();
        assertTrue(last.startsWith("data: {\"error\": ") || last.startsWith("data: {\"error\":"), last);
        assertTrue(last.contains("\"code\":\"timeout\""), last);
        assertFalse(events.toString().contains("[DONE]"));
    }
}
