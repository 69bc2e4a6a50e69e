package dev.vera4j.tests.serve;

import dev.vera4j.engine.batch.BatchConfig;
import dev.vera4j.gguf.GgmlType;
import dev.vera4j.vera.BaseFingerprint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A directory of 1,000 adapters: all listed, requests spread over them served through an adapter cache that holds only a
 * few at a time (so adapters are loaded, evicted and loaded again), and the shared projections made once.
 */
class ManyAdaptersTest {
    @TempDir Path adapters;

    @Test
    void aThousandAdaptersServedThroughASmallCache() throws Exception {
        BaseFingerprint base = BaseFingerprint.of(ServeFixture.STORIES);
        Path first = adapters.resolve("a0000.gguf");
        ServeFixture.adapter(base, 1).write(first, GgmlType.F32);
        for (int i = 1; i < 1000; i++) {
            if (i % 100 == 0) ServeFixture.adapter(base, i).write(adapters.resolve(String.format("a%04d.gguf", i)), GgmlType.F32);
            else Files.copy(first, adapters.resolve(String.format("a%04d.gguf", i)));
        }
        BatchConfig batch = BatchConfig.defaults(256).withParallel(4);
        try (ServeFixture fixture = ServeFixture.start(adapters, batch, 0, 120 << 10)) {
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> models = (List<Map<String, Object>>) ServeFixture.json(fixture.get("/v1/models").body()).get("data");
            assertEquals(1001, models.size());
            for (int r = 0; r < 60; r++) {
                String id = String.format("a%04d", (r * 337) % 1000);
                HttpResponse<String> resp = fixture.post("/v1/completions", "{\"model\": \"" + id + "\", \"prompt\": \"Once upon a time\", \"max_tokens\": 4, \"temperature\": 0}");
                assertEquals(200, resp.statusCode(), resp.body());
            }
            String metrics = fixture.get("/metrics").body();
            assertEquals(1000, ServeFixture.metric(metrics, "vera4j_adapters"));
            assertEquals(60, ServeFixture.metric(metrics, "vera4j_adapter_cache_misses_total") + ServeFixture.metric(metrics, "vera4j_adapter_cache_hits_total"));
            assertTrue(ServeFixture.metric(metrics, "vera4j_adapter_cache_evictions_total") > 0, metrics);
            assertTrue(ServeFixture.metric(metrics, "vera4j_adapter_cache_bytes") <= 120 << 10, metrics);
            assertTrue(ServeFixture.metric(metrics, "vera4j_adapter_cache_adapters") < 60, metrics);
        }
    }
}
