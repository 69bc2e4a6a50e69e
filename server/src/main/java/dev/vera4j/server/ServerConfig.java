package dev.vera4j.server;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How {@link OpenAiServer} listens and what it accepts.
 *
 * <pre>{@code
 * ServerConfig c = ServerConfig.loopback(8080).withApiKey("secret").withAdapters(Path.of("adapters"));
 * }</pre>
 *
 * @param host              address to bind (loopback by default)
 * @param port              0 picks a free port
 * @param apiKey            required as {@code Authorization: Bearer KEY} on every endpoint but {@code /health};
 *                          {@code null} for none
 * @param maxBodyBytes      larger request bodies get 413
 * @param adapters          the adapter directory, or {@code null}
 * @param adapterCacheBytes memory for loaded adapters
 * @param watchAdapters     whether new files in {@code adapters} are picked up by themselves (besides
 *                          {@code POST /v1/adapters/reload})
 * @param chatTemplate      a built-in template name instead of the model's own, or {@code null}
 * @param keepAlive         silence after which a stream gets a keep-alive comment
 */
public record ServerConfig(String host, int port, String apiKey, long maxBodyBytes, Path adapters, long adapterCacheBytes,
                           boolean watchAdapters, String chatTemplate, Duration keepAlive) {
    public ServerConfig {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
        if (maxBodyBytes < 1) throw new IllegalArgumentException("body limit must be positive, got " + maxBodyBytes);
        if (adapterCacheBytes < 0) throw new IllegalArgumentException("adapter cache size must be >= 0");
        if (apiKey != null && apiKey.isEmpty()) apiKey = null;
    }

    /** 127.0.0.1:{@code port}, no key, 8 MiB bodies, no adapters (512 MiB cache when given), keep-alive every 5 s. */
    public static ServerConfig loopback(int port) {
        return new ServerConfig("127.0.0.1", port, null, 8L << 20, null, 512L << 20, true, null, Duration.ofSeconds(5));
    }

    public ServerConfig withHost(String h) { return new ServerConfig(h, port, apiKey, maxBodyBytes, adapters, adapterCacheBytes, watchAdapters, chatTemplate, keepAlive); }

    public ServerConfig withApiKey(String k) { return new ServerConfig(host, port, k, maxBodyBytes, adapters, adapterCacheBytes, watchAdapters, chatTemplate, keepAlive); }

    public ServerConfig withMaxBody(long b) { return new ServerConfig(host, port, apiKey, b, adapters, adapterCacheBytes, watchAdapters, chatTemplate, keepAlive); }

    public ServerConfig withAdapters(Path dir) { return new ServerConfig(host, port, apiKey, maxBodyBytes, dir, adapterCacheBytes, watchAdapters, chatTemplate, keepAlive); }

    public ServerConfig withAdapterCache(long bytes) { return new ServerConfig(host, port, apiKey, maxBodyBytes, adapters, bytes, watchAdapters, chatTemplate, keepAlive); }

    public ServerConfig withWatch(boolean w) { return new ServerConfig(host, port, apiKey, maxBodyBytes, adapters, adapterCacheBytes, w, chatTemplate, keepAlive); }

    public ServerConfig withChatTemplate(String t) { return new ServerConfig(host, port, apiKey, maxBodyBytes, adapters, adapterCacheBytes, watchAdapters, t, keepAlive); }

    public ServerConfig withKeepAlive(Duration d) { return new ServerConfig(host, port, apiKey, maxBodyBytes, adapters, adapterCacheBytes, watchAdapters, chatTemplate, d); }
}
