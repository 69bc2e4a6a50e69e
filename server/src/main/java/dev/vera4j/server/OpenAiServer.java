package dev.vera4j.server;

import com.sun.net.httpserver.HttpServer;
import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.batch.BatchConfig;
import dev.vera4j.engine.batch.BatchScheduler;
import dev.vera4j.vera.AdapterCache;
import dev.vera4j.vera.BaseFingerprint;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An OpenAI-compatible HTTP server over one model: {@code GET /v1/models}, {@code POST /v1/chat/completions},
 * {@code POST /v1/completions} (JSON or server-sent events), {@code POST /v1/adapters/reload}, {@code GET /health},
 * {@code GET /metrics}. Requests run on a {@link BatchScheduler} (continuous batching); each adapter of the adapter
 * directory is a model id of its own, chosen per request. Built on the JDK's {@code com.sun.net.httpserver} with a
 * virtual thread per exchange; no dependencies.
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("stories260K.gguf"), 2);
 *      OpenAiServer server = OpenAiServer.start(model, BatchConfig.defaults(2048),
 *              ServerConfig.loopback(8080).withAdapters(Path.of("adapters")), System.err)) {
 *     System.out.println("listening on " + server.url());
 *     // ... until it is time to stop:
 *     server.shutdown(Duration.ofSeconds(30));
 * }
 * }</pre>
 */
public final class OpenAiServer implements AutoCloseable {
    private final HttpServer http;
    private final ExecutorService executor;
    private final BatchScheduler scheduler;
    private final ModelCatalog catalog;
    private final AdapterWatch watch;
    private volatile boolean draining;
    private boolean stopped;

    private OpenAiServer(HttpServer http, ExecutorService executor, BatchScheduler scheduler, ModelCatalog catalog, AdapterWatch watch) {
        this.http = http;
        this.executor = executor;
        this.scheduler = scheduler;
        this.catalog = catalog;
        this.watch = watch;
    }

    /**
     * Scans the adapter directory (refused adapters get one line each on {@code log}), starts the scheduler and binds.
     * The model stays the caller's to close, after the server.
     *
     * @param log where request lines and adapter reports go (stderr for the command line)
     * @throws UncheckedIOException if the address cannot be bound
     * @throws IllegalArgumentException if the adapter directory cannot be read
     */
    public static OpenAiServer start(Model model, BatchConfig batch, ServerConfig config, PrintStream log) {
        BatchScheduler scheduler = new BatchScheduler(model, batch);
        try {
            return start(model, scheduler, config, log);
        } catch (RuntimeException e) {
            scheduler.close();
            throw e;
        }
    }

    /**
     * As {@link #start(Model, BatchConfig, ServerConfig, PrintStream)} over a scheduler made by the caller (who may
     * also submit to it directly, or give it another {@link dev.vera4j.engine.batch.StepRunner}); the server drains and
     * closes it on {@link #shutdown}.
     */
    public static OpenAiServer start(Model model, BatchScheduler scheduler, ServerConfig config, PrintStream log) {
        // Streams write one small event per token: with Nagle's algorithm on (the JDK server's default) each would wait
        // for the client's delayed ACK, ~40 ms a token. The JDK reads this once, when its server classes load.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) System.setProperty("sun.net.httpserver.nodelay", "true");
        BatchConfig batch = scheduler.config();
        String baseId = baseId(model);
        AdapterCache cache = null;
        AdapterDirectory directory = null;
        if (config.adapters() != null) {
            cache = new AdapterCache(BaseFingerprint.of(model.path()), config.adapterCacheBytes());
            directory = new AdapterDirectory(config.adapters(), cache, baseId);
            Reports.scan(directory.rescan(), log);
        }
        ModelCatalog catalog = new ModelCatalog(baseId, directory, cache, model.pool());
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        AdapterWatch watch = null;
        try {
            if (directory != null && config.watchAdapters()) watch = AdapterWatch.start(directory, log);
            HttpServer http = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 256);
            OpenAiServer server = new OpenAiServer(http, executor, scheduler, catalog, watch);
            Metrics metrics = new Metrics();
            RequestParser parser = new RequestParser(model, catalog, config.chatTemplate(), batch.contextLength());
            GenerationHandler generation = new GenerationHandler(parser, scheduler, config.keepAlive());
            ApiEndpoints endpoints = new ApiEndpoints(catalog, scheduler, generation, metrics, () -> server.draining,
                    System.currentTimeMillis() / 1000, log);
            http.createContext("/", new Router(endpoints, config.apiKey(), config.maxBodyBytes(), metrics, log));
            http.setExecutor(executor);
            http.start();
            return server;
        } catch (IOException | RuntimeException e) {
            executor.close();
            try {
                if (watch != null) watch.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            if (e instanceof IOException io) throw new UncheckedIOException("cannot listen on " + config.host() + ":" + config.port() + ": " + io.getMessage(), io);
            throw (RuntimeException) e;
        }
    }

    /** The model id of the base model: its file name without {@code .gguf}. */
    public static String baseId(Model model) {
        String name = model.path().getFileName().toString();
        return name.endsWith(".gguf") ? name.substring(0, name.length() - 5) : name;
    }

    /** The bound address (the actual port when started with port 0). */
    public InetSocketAddress address() { return http.getAddress(); }

    /** {@code http://HOST:PORT}. */
    public String url() {
        InetSocketAddress a = address();
        String host = a.getAddress().getHostAddress();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    public BatchScheduler scheduler() { return scheduler; }

    /**
     * Stops gracefully: the listener closes and new requests are refused (503), running and queued ones get up to
     * {@code grace} to finish, what remains is cancelled. Returns whether everything finished in time. Idempotent.
     */
    public synchronized boolean shutdown(Duration grace) {
        if (stopped) return true;
        stopped = true;
        draining = true;
        int seconds = (int) Math.min(Integer.MAX_VALUE, Math.max(0, (grace.toMillis() + 999) / 1000));
        // closes the listener at once, then waits for open exchanges (which end once their sequences do)
        Thread closer = Thread.ofPlatform().name("vera4j-http-stop").start(() -> http.stop(seconds));
        boolean finished = scheduler.drain(grace);
        try {
            closer.join();
            // handlers still blocked writing to clients that stopped reading: interrupting a virtual thread in a socket
            // write closes the socket
            executor.shutdownNow();
            executor.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (watch != null) watch.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        return finished;
    }


    /** {@link #shutdown} without waiting. */
    @Override
    public void close() { shutdown(Duration.ZERO); }
}
