package dev.vera4j.server;

import dev.vera4j.engine.api.ModelAdapter;
import dev.vera4j.engine.model.LinearHook;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.vera.AdapterCache;
import dev.vera4j.vera.AdapterWeights;
import dev.vera4j.vera.VeraAdapter;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The model ids a server answers to: the base model's (its file name without {@code .gguf}) and one per adapter of the
 * {@link AdapterDirectory}. {@link #adapter} loads an adapter through the cache on the caller's thread, so the
 * scheduler only makes a hook from weights already in memory.
 *
 * <pre>{@code
 * ModelCatalog catalog = new ModelCatalog("stories260K", directory, cache, pool);
 * ModelCatalog.Entry e = catalog.resolve("alice");
 * ModelAdapter a = catalog.adapter(e);   // null for the base model
 * }</pre>
 */
final class ModelCatalog {
    /** A model id; {@code path} is the adapter's, {@code null} for the base model. */
    record Entry(String id, Path path) {
        boolean isBase() { return path == null; }
    }

    private final String baseId;
    private final AdapterDirectory directory;
    private final AdapterCache cache;
    private final WorkerPool pool;

    /** @param directory {@code null} when the server has no {@code --adapters} */
    ModelCatalog(String baseId, AdapterDirectory directory, AdapterCache cache, WorkerPool pool) {
        this.baseId = baseId;
        this.directory = directory;
        this.cache = cache;
        this.pool = pool;
    }

    String baseId() { return baseId; }

    AdapterDirectory directory() { return directory; }

    AdapterCache cache() { return cache; }

    /** The entry for {@code id}, or {@code null} when there is none. */
    Entry resolve(String id) {
        if (id.equals(baseId)) return new Entry(id, null);
        Path p = directory == null ? null : directory.path(id);
        return p == null ? null : new Entry(id, p);
    }

    /** Base first, then adapters in name order. */
    List<Entry> list() {
        List<Entry> all = new ArrayList<>();
        all.add(new Entry(baseId, null));
        if (directory != null) for (String id : directory.ids()) all.add(new Entry(id, directory.path(id)));
        return all;
    }

    /**
     * The adapter behind {@code e} with its weights in memory (loaded now on a cache miss), or {@code null} for the base.
     *
     * @throws ApiException 500 when the adapter cannot be loaded
     */
    ModelAdapter adapter(Entry e) {
        if (e.isBase()) return null;
        AdapterWeights w;
        try {
            w = cache.get(e.path());
        } catch (RuntimeException x) {
            throw new ApiException(500, "server_error", "model", "adapter_load_failed", "The adapter `" + e.id() + "` cannot be loaded: " + x.getMessage(), 0);
        }
        return new LoadedAdapter(e.id(), w, pool);
    }

    /** An adapter whose weights are in memory: making a hook only allocates its scratch. */
    private record LoadedAdapter(String name, AdapterWeights weights, WorkerPool pool) implements ModelAdapter {
        @Override
        public LinearHook newHook(Path modelPath, int maxTokens) { return new VeraAdapter(weights, maxTokens, 1f, pool); }
    }
}
