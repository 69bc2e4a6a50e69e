package dev.vera4j.tools;

import java.nio.file.Path;
import java.util.Map;

/**
 * The folder where the CLI keeps packed copies of models' matrices between runs ({@code $VERA4J_CACHE/packed},
 * default {@code ~/.cache/vera4j/packed}; see {@link dev.vera4j.engine.model.PackedCopies}): the first load of a file
 * packs and writes them, later loads map them. {@code VERA4J_PACK_CACHE=off} packs at every load and writes nothing
 * (the cache takes about as much disk as the quantized matrices of each model used).
 *
 * <pre>{@code
 * Path folder = PackCache.folder(System.getenv());   // null when switched off
 * }</pre>
 */
final class PackCache {
    private PackCache() {}

    /** The folder for {@code env}, or null when {@code VERA4J_PACK_CACHE} is {@code off} (or 0, false, no). */
    static Path folder(Map<String, String> env) {
        String off = env.getOrDefault("VERA4J_PACK_CACHE", "").strip().toLowerCase(java.util.Locale.ROOT);
        if (off.equals("off") || off.equals("0") || off.equals("false") || off.equals("no")) return null;
        String cache = env.get("VERA4J_CACHE");
        Path root = cache == null || cache.isBlank() ? Path.of(System.getProperty("user.home"), ".cache", "vera4j") : Path.of(cache);
        return root.resolve("packed");
    }
}
