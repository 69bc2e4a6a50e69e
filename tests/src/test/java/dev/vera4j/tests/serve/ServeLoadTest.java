package dev.vera4j.tests.serve;

import dev.vera4j.engine.batch.BatchConfig;
import dev.vera4j.vera.VeraAdapters;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A bounded load test on loopback: 64 concurrent streaming requests over 16 adapters (8 slots, the rest queued) all
 * complete with the greedy text of a run of each by a session of its own, wherever the logit margins allow, while a few
 * other clients hang up mid-stream and their slots come back.
 *
 * <p>Tolerance on logits: 1e-2, the backend's for F32 weights and an F16 cache (a step of several sequences sums its
 * products in another order than one sequence alone, and a key or value may then round to the neighbouring half).
 */
class ServeLoadTest {
    private static final String[] PROMPTS = {"Once upon a time", "Lily and Tom went to the park.", "The cat", "One day, a little boy"};
    private static final int REQUESTS = 64, ADAPTERS = 16, TOKENS = 24, DISCONNECTING = 4;
    private static final float TOLERANCE = 1e-2f;

    @TempDir Path adapters;

    @Test
    void sixtyFourStreamsOverSixteenAdaptersMatchSequentialRuns() throws Exception {
        ServeFixture.writeAdapters(adapters, ADAPTERS);
        BatchConfig batch = BatchConfig.defaults(512).withParallel(8).withQueue(REQUESTS + DISCONNECTING);
        try (ServeFixture fixture = ServeFixture.start(adapters, batch);
             ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<GreedyText> expected = sequential(fixture, batch);
            List<Future<String>> answers = new ArrayList<>();
            List<Future<?>> leavers = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                String body = body(i, TOKENS);
                answers.add(clients.submit(() -> streamedText(fixture, body)));
                String longBody = body(i, 400);
                if (i % (REQUESTS / DISCONNECTING) == 0) leavers.add(clients.submit(() -> hangUpAfterFirstToken(fixture, longBody)));
            }
            int equal = 0;
            for (int i = 0; i < REQUESTS; i++) {
                String answer = answers.get(i).get(120, TimeUnit.SECONDS);
                if (expected.get(i).assertAgrees(answer, TOLERANCE, "request " + i + " (" + adapter(i) + ")")) equal++;
            }
            for (Future<?> f : leavers) f.get(120, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            Map<String, Object> health;
            do health = ServeFixture.json(fixture.get("/health").body());
            while (((Long) health.get("slots_processing")) != 0 && System.nanoTime() < deadline);
            assertEquals(0L, health.get("slots_processing"), "every slot is free again");
            assertEquals(0L, health.get("queued"));
            assertTrue(expected.stream().map(GreedyText::text).distinct().count() > PROMPTS.length * 2, "adapters must change the answers");
            assertTrue(equal >= REQUESTS - 4, "answers equal to the reference's: " + equal + " of " + REQUESTS);
            String metrics = fixture.get("/metrics").body();
            long steps = ServeFixture.metric(metrics, "vera4j_steps_total"), tokens = ServeFixture.metric(metrics, "vera4j_generated_tokens_total");
            assertTrue(tokens >= 4 * steps, "sequences per step: " + tokens + " tokens in " + steps + " steps");
        }
    }

    private static String adapter(int i) { return String.format("adapter-%02d", i % ADAPTERS); }

    private static String body(int i, int maxTokens) {
        return "{\"model\": \"" + adapter(i) + "\", \"prompt\": \"" + PROMPTS[i % PROMPTS.length] + "\", \"max_tokens\": " + maxTokens
                + ", \"temperature\": 0, \"stream\": true}";
    }

    /** Each request's answer from a session of its own, one after another, with the adapter as {@code generate} applies it. */
    private List<GreedyText> sequential(ServeFixture fixture, BatchConfig batch) {
        List<GreedyText> out = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
            out.add(GreedyText.of(fixture.model, PROMPTS[i % PROMPTS.length], TOKENS, VeraAdapters.load(adapters.resolve(adapter(i) + ".gguf")),
                    batch.kvType(), batch.prefillChunk()));
        }
        return out;
    }

    private static InputStream open(ServeFixture fixture, String body) throws Exception {
        HttpResponse<InputStream> r = fixture.http.send(HttpRequest.newBuilder(URI.create(fixture.url() + "/v1/completions"))
                .header("Authorization", "Bearer " + ServeFixture.KEY).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        return r.body();
    }

    private static String streamedText(ServeFixture fixture, String body) throws Exception {
        StringBuilder text = new StringBuilder();
        boolean done = false;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(open(fixture, body), StandardCharsets.UTF_8))) {
            for (String l; (l = lines.readLine()) != null; ) {
                if (!l.startsWith("data: ")) continue;
                if (l.equals("data: [DONE]")) {
                    done = true;
                    continue;
                }
                @SuppressWarnings("unchecked")
                List<Map<String, Object>> choices = (List<Map<String, Object>>) ServeFixture.json(l.substring(6)).get("choices");
                for (Map<String, Object> c : choices) text.append((String) c.get("text"));
            }
        }
        assertTrue(done, "the stream ends with [DONE]");
        return text.toString();
    }

    private static Void hangUpAfterFirstToken(ServeFixture fixture, String body) throws Exception {
        InputStream in = open(fixture, body);
        BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String l;
        do l = lines.readLine(); while (l != null && !l.startsWith("data: "));
        in.close();
        return null;
    }
}
