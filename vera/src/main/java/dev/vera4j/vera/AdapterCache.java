package dev.vera4j.vera;

import dev.vera4j.vera.peft.PeftImporter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Adapters of one base model, loaded on first use and kept in a least-recently-used cache bounded in bytes, so that a
 * directory of thousands of adapters costs memory only for those in use. Adapters with the same seed, rank, sizes and
 * rounding share one {@link PreparedProjections} (the frozen {@code A} and {@code B}, usually the largest part);
 * each cached adapter adds only its λ vectors. A file that changed on disk (time or size) is loaded again.
 * Thread-safe: concurrent requests for one adapter load it once.
 *
 * <pre>{@code
 * AdapterCache cache = new AdapterCache(BaseFingerprint.of(modelPath), 512L << 20);
 * AdapterWeights w = cache.get(Path.of("adapters/alice.gguf"));   // loads; later calls hit
 * session.addHook(new VeraAdapter(w, session.batchSize(), 1f, pool));
 * }</pre>
 */
public final class AdapterCache {
    /**
     * @param adapters    adapters held
     * @param bytes       their λ vectors plus the projections they use
     * @param projections distinct projection sets held
     */
    public record Stats(int adapters, long bytes, long maxBytes, int projections, long hits, long misses, long evictions) {}

    private record Version(long modifiedMillis, long size) {}

    private record ProjectionKey(long seed, int rank, int inMax, int outMax, boolean fused) {}

    private static final class Shared {
        final CompletableFuture<PreparedProjections> projections = new CompletableFuture<>();
        int users;
    }

    /** @param ownBytes the λ vectors, plus the projections when they are the adapter's own ({@code key} null) */
    private record Entry(AdapterWeights weights, Version version, ProjectionKey key, long ownBytes) {}

    private final BaseFingerprint base;
    private final long maxBytes;
    private final LinkedHashMap<Path, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<ProjectionKey, Shared> shared = new HashMap<>();
    private final Map<Path, CompletableFuture<AdapterWeights>> loading = new HashMap<>();
    private long hits, misses, evictions, entryBytes;

    /**
     * @param maxBytes what the cache may hold; the adapter used last always stays, even when it alone is larger
     */
    public AdapterCache(BaseFingerprint base, long maxBytes) {
        if (maxBytes < 0) throw new IllegalArgumentException("cache size must be >= 0, got " + maxBytes);
        this.base = base;
        this.maxBytes = maxBytes;
    }

    public BaseFingerprint base() { return base; }

    /**
     * The adapter at {@code path} (a vera4j adapter GGUF or a PEFT directory), prepared for the base: from the cache,
     * or loaded now.
     *
     * @throws IllegalArgumentException if it cannot be read or was made for another base
     */
    public AdapterWeights get(Path path) {
        Path key = path.toAbsolutePath().normalize();
        Version version = version(key);
        CompletableFuture<AdapterWeights> pending;
        boolean mine = false;
        synchronized (this) {
            Entry e = entries.get(key);
            if (e != null && e.version.equals(version)) {
                hits++;
                return e.weights;
            }
            if (e != null) remove(key);
            pending = loading.get(key);
            if (pending == null) {
                pending = new CompletableFuture<>();
                loading.put(key, pending);
                misses++;
                mine = true;
            }
        }
        if (!mine) return join(pending);
        try {
            AdapterWeights w = load(key, version);
            pending.complete(w);
            return w;
        } catch (RuntimeException e) {
            pending.completeExceptionally(e);
            throw e;
        } finally {
            synchronized (this) {
                loading.remove(key);
            }
        }
    }

    private AdapterWeights load(Path path, Version version) {
        AdapterFile file = AdapterLoader.read(path, base);
        String name = path.getFileName().toString();
        if (file.projections().isPresent()) {
            // stored projections belong to this adapter alone
            PreparedProjections own = PreparedProjections.of(file.projections().get());
            AdapterWeights w = AdapterWeights.prepare(file, base, name, false, own);
            insert(path, new Entry(w, version, null, w.lambdaBytes() + own.bytes()));
            return w;
        }
        ProjectionKey pk = new ProjectionKey(file.config().seed(), file.config().rank(), file.inMax(), file.outMax(),
                file.config().fusedMultiplyAdd());
        Shared s;
        boolean make;
        synchronized (this) {
            s = shared.get(pk);
            make = s == null;
            if (make) shared.put(pk, s = new Shared());
            s.users++;
        }
        boolean kept = false;
        try {
            if (make) {
                try {
                    s.projections.complete(PreparedProjections.of(file.resolveProjections()));
                } catch (RuntimeException e) {
                    s.projections.completeExceptionally(e);
                    throw e;
                }
            }
            AdapterWeights w = AdapterWeights.prepare(file, base, name, false, join(s.projections));
            insert(path, new Entry(w, version, pk, w.lambdaBytes()));
            kept = true;
            return w;
        } finally {
            if (!kept) {
                synchronized (this) {
                    release(pk);
                }
            }
        }
    }

    private synchronized void insert(Path path, Entry e) {
        if (entries.containsKey(path)) remove(path);
        entries.put(path, e);
        entryBytes += e.ownBytes;
        for (Iterator<Map.Entry<Path, Entry>> it = entries.entrySet().iterator(); bytes() > maxBytes && entries.size() > 1; ) {
            Entry eldest = it.next().getValue();
            it.remove();
            entryBytes -= eldest.ownBytes;
            if (eldest.key != null) release(eldest.key);
            evictions++;
        }
    }

    /** Forgets the adapter at {@code path} (it was deleted or replaced); the next {@link #get} loads it again. */
    public synchronized void evict(Path path) {
        if (remove(path.toAbsolutePath().normalize())) evictions++;
    }

    private boolean remove(Path key) {
        Entry e = entries.remove(key);
        if (e == null) return false;
        entryBytes -= e.ownBytes;
        if (e.key != null) release(e.key);
        return true;
    }

    private void release(ProjectionKey pk) {
        Shared s = shared.get(pk);
        if (s != null && --s.users == 0) shared.remove(pk);
    }

    private long bytes() {
        long b = entryBytes;
        for (Shared s : shared.values()) if (s.projections.isDone() && !s.projections.isCompletedExceptionally()) b += s.projections.join().bytes();
        return b;
    }

    public synchronized Stats stats() {
        return new Stats(entries.size(), bytes(), maxBytes, shared.size(), hits, misses, evictions);
    }

    /** The file's (or a PEFT directory's weights file's) modification time and size. */
    private static Version version(Path path) {
        Path file = Files.isDirectory(path) ? path.resolve(PeftImporter.WEIGHTS_FILE) : path;
        try {
            return new Version(Files.getLastModifiedTime(file).toMillis(), Files.size(file));
        } catch (IOException e) {
            throw new IllegalArgumentException("adapter " + path + " cannot be read: " + e.getMessage(), e);
        }
    }

    private static <T> T join(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new UncheckedIOException(new IOException(e.getCause()));
        }
    }
}
