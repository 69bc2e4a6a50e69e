package dev.vera4j.tests.serve;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code java -jar vera4j.jar serve} as a user runs it: one line {@code listening on http://HOST:PORT} when ready, one
 * line per refused adapter, one line per request, and on SIGTERM (sent to the relaunching parent) a drain that lets the
 * running stream finish, then exit 0.
 */
class ServeCommandTest {
    @TempDir Path dir;

    @Test
    void listensAnswersAndDrainsOnSigterm() throws Exception {
        Path adapters = Files.createDirectories(dir.resolve("adapters"));
        ServeFixture.writeAdapters(adapters, 2);
        String jar = System.getProperty("vera4j.jar", "../tools/target/vera4j.jar");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar,
                "serve", "-m", ServeFixture.STORIES.toString(), "--port", "0", "--adapters", adapters.toString(), "-t", "1", "--parallel", "2"));
        Path err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            String line = first.get(60, TimeUnit.SECONDS);
            Matcher m = Pattern.compile("listening on (http://127\\.0\\.0\\.1:\\d+)").matcher(line == null ? "" : line);
            assertTrue(m.matches(), line + "\n" + Files.readString(err));
            String url = m.group(1);
            assertEquals(1, Files.readAllLines(err).stream().filter(l -> l.startsWith("adapter other-base.gguf refused: ")).count(), Files.readString(err));

            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpResponse<String> models = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/models")).build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(models.body().contains("\"adapter-01\""), models.body());

            HttpResponse<java.io.InputStream> stream = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"adapter-01\", \"prompt\": \"Once upon a time\", \"max_tokens\": 500, \"ignore_eos\": true, \"stream\": true, \"seed\": 1}"))
                    .build(), HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, stream.statusCode());
            BufferedReader events = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8));
            String event;
            do event = events.readLine(); while (event != null && !event.startsWith("data: "));
            assertNotNull(event);
            p.destroy();   // SIGTERM, while the stream runs
            String last = event;
            for (String l; (l = events.readLine()) != null; ) if (!l.isEmpty()) last = l;
            assertEquals("data: [DONE]", last, "the running stream finishes");
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the server exits after draining");
            assertEquals(0, p.exitValue(), Files.readString(err));
            String log = Files.readString(err);
            assertTrue(log.contains("stopping: finishing running requests"), log);
            int request = log.indexOf("POST /v1/completions model=adapter-01 status=200 prompt=5 completion=500");
            assertTrue(log.indexOf("stopping:") < request && request < log.indexOf("\nstopped"), "the stream was drained: " + log);
            assertTrue(log.contains("GET /v1/models status=200"), log);
        } finally {
            p.destroyForcibly();
        }
    }
}
