package dev.vera4j.tests.serve;

import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.batch.BatchConfig;
import dev.vera4j.engine.batch.BatchScheduler;
import dev.vera4j.engine.batch.SequenceWork;
import dev.vera4j.engine.batch.StepRunner;
import dev.vera4j.engine.json.Json;
import dev.vera4j.gguf.GgmlType;
import dev.vera4j.server.OpenAiServer;
import dev.vera4j.server.ServerConfig;
import dev.vera4j.vera.AdapterFile;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.VeraConfig;
import dev.vera4j.vera.VeraLambdas;
import dev.vera4j.vera.VeraSite;
import dev.vera4j.vera.VeraTarget;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code vera4j serve} server started in the test on 127.0.0.1 (ephemeral port) over stories260K, with a directory of
 * small random VeRA adapters made with the vera module's API (and one made for another base, which must be refused).
 */
final class ServeFixture implements AutoCloseable {
    static final Path SHARED = Path.of(System.getProperty("vera4j.shared", "../shared"));
    static final Path STORIES = SHARED.resolve("models/stories260K.gguf");
    static final Path PEFT = Path.of("../vera/src/test/resources/dev/vera4j/vera/stories/stories-vera");
    static final String BASE = "stories260K";
    static final String KEY = "test-key";
    private static final Set<VeraTarget> TARGETS = EnumSet.of(VeraTarget.Q, VeraTarget.V, VeraTarget.O, VeraTarget.UP, VeraTarget.DOWN);

    final Model model;
    final OpenAiServer server;
    final Path adapters;
    final ByteArrayOutputStream log;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();

    private ServeFixture(Model model, OpenAiServer server, Path adapters, ByteArrayOutputStream log) {
        this.log = log;
        this.model = model;
        this.server = server;
        this.adapters = adapters;
    }

    /** A server over {@code adapters} with the API key, a 64 KiB body limit and {@code batch}. */
    static ServeFixture start(Path adapters, BatchConfig batch) { return start(adapters, batch, 0); }

    /** As above; every model step takes at least {@code stepDelayMillis} (for tests that need requests to last). */
    static ServeFixture start(Path adapters, BatchConfig batch, int stepDelayMillis) { return start(adapters, batch, stepDelayMillis, 512L << 20); }

    /** As above, with an adapter cache of {@code cacheBytes}. */
    static ServeFixture start(Path adapters, BatchConfig batch, int stepDelayMillis, long cacheBytes) {
        Model model = Model.load(STORIES, 2);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        StepRunner runner = StepRunner.batched(model, batch);
        BatchScheduler scheduler = new BatchScheduler(model, stepDelayMillis == 0 ? runner : slow(runner, stepDelayMillis), batch);
        ServerConfig config = ServerConfig.loopback(0).withApiKey(KEY).withMaxBody(64 << 10).withAdapters(adapters).withAdapterCache(cacheBytes)
                .withKeepAlive(Duration.ofMillis(200));
        OpenAiServer server = OpenAiServer.start(model, scheduler, config, new PrintStream(log, true, StandardCharsets.UTF_8));
        return new ServeFixture(model, server, adapters, log);
    }

    private static StepRunner slow(StepRunner inner, int millis) {
        return new StepRunner() {
            @Override public Sequence newSequence(int contextLength) { return inner.newSequence(contextLength); }

            @Override public int maxTokensPerSequence() { return inner.maxTokensPerSequence(); }

            @Override
            public void step(List<SequenceWork> work) {
                try {
                    Thread.sleep(millis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                inner.step(work);
            }
        };
    }

    /** The value of the Prometheus metric {@code name} (a line {@code name N}) in {@code text}. */
    static long metric(String text, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + " (\\d+)$").matcher(text);
        if (!m.find()) throw new AssertionError(name + " not in\n" + text);
        return Long.parseLong(m.group(1));
    }

    String url() { return server.url(); }

    /**
     * Writes {@code count} adapters {@code adapter-NN.gguf} for stories260K (projection seed 7 for all, λ's random per
     * adapter), a copy of the PEFT test adapter as {@code peft-stories/}, and {@code other-base.gguf}, made for a model
     * with another fingerprint.
     */
    static void writeAdapters(Path dir, int count) throws Exception {
        BaseFingerprint base = BaseFingerprint.of(STORIES);
        for (int i = 0; i < count; i++) adapter(base, 1000 + i).write(dir.resolve(String.format("adapter-%02d.gguf", i)), GgmlType.F32);
        BaseFingerprint other = new BaseFingerprint(base.architecture(), base.blockCount(), base.dim(), base.feedForwardLength(),
                base.headCount(), base.headCountKv(), base.headDim(), base.vocabSize(), "0123456789abcdef0123456789abcdef");
        adapter(other, 1).write(dir.resolve("other-base.gguf"), GgmlType.F32);
        Path peft = Files.createDirectories(dir.resolve("peft-stories"));
        try (var files = Files.list(PEFT)) {
            for (Path p : files.toList()) Files.copy(p, peft.resolve(p.getFileName()));
        }
    }

    static AdapterFile adapter(BaseFingerprint base, long lambdaSeed) {
        int rank = 16;
        Random r = new Random(lambdaSeed);
        TreeMap<VeraSite, VeraLambdas> lambdas = new TreeMap<>();
        for (int l = 0; l < base.blockCount(); l++) {
            for (VeraTarget t : TARGETS) {
                float[] b = new float[base.outputs(t)], d = new float[rank];
                for (int i = 0; i < b.length; i++) b[i] = (float) (0.8 * r.nextGaussian());
                for (int i = 0; i < d.length; i++) d[i] = 0.2f + r.nextFloat();
                lambdas.put(new VeraSite(l, t), new VeraLambdas(b, d));
            }
        }
        int[] dims = base.projectionDims(TARGETS);
        return new AdapterFile(new VeraConfig(7, rank, 0.1f, TARGETS, List.of(), true), dims[0], dims[1], base, lambdas,
                Optional.empty(), Optional.empty());
    }

    /** The server's stderr so far. */
    String log() { return log.toString(StandardCharsets.UTF_8); }

    HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url() + path)).header("Authorization", "Bearer " + KEY)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url() + path)).header("Authorization", "Bearer " + KEY).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> json(String text) { return (Map<String, Object>) Json.parse(text); }

    @Override
    public void close() {
        server.shutdown(Duration.ofSeconds(5));
        model.close();
    }
}
