package dev.vera4j.engine.model;

import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufTensor;
import dev.vera4j.simd.OsMemory;
import dev.vera4j.simd.PackedFile;
import dev.vera4j.simd.Weights;
import dev.vera4j.simd.WorkerPool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where the packed copies of one model's matrices come from ({@link ModelWeights#packed}): packing now, or — with a
 * cache folder — the {@link PackedFile} an earlier load of the same file wrote there, mapped instead of packed again.
 * Copies packed now are written to the cache by {@link #save} (temp file and rename), so the second load of a model
 * maps them in a fraction of the time; a cache file whose model has changed or is gone is ignored and, at the next
 * save, deleted. Each copy is keyed by the tensor it comes from and its byte offset there, so row views of fused
 * tensors and experts' slices of a 3-D tensor find theirs.
 *
 * <p>Owns the memory of the copies (the cache file's mapping where it has 2 MB pages, else memory of 2 MB pages that
 * they are read or packed into): close it after the last product that reads them.
 *
 * <pre>{@code
 * try (PackedCopies copies = PackedCopies.open(file, Path.of(System.getProperty("user.home"), ".cache/vera4j/packed"), pool)) {
 *     ModelWeights fast = weights.packed(copies);
 *     copies.save();           // nothing to do when every copy came from the cache
 *     ...                      // products read the copies
 * }
 * }</pre>
 */
public final class PackedCopies implements AutoCloseable {
    private final WorkerPool pool;
    private final Arena arena = Arena.ofShared();
    /** The model's tensors by the address their data starts at, to name a matrix view by tensor and offset. */
    private final TreeMap<Long, GgufTensor> byAddress = new TreeMap<>();
    private final Path cacheFile;
    private final PackedFile.Source source;
    /**
     * The cache file the copies come from (null without one), until {@link #close} unmaps it, or {@link #save} when they
     * were read out of it.
     */
    private PackedFile cached;
    /** Whether the products read the copies from the cache file's mapping (it has 2 MB pages), not from a copy of it. */
    private final boolean mapped;
    private final Map<String, Weights> packedNow = new LinkedHashMap<>();
    private final Map<String, Weights> all = new LinkedHashMap<>();

    private PackedCopies(GgufFile model, Path cacheFolder, WorkerPool pool) {
        this.pool = pool;
        if (model != null) for (GgufTensor t : model.tensors().values()) byAddress.put(t.data().address(), t);
        if (model == null) cacheFolder = null;
        this.source = cacheFolder == null ? null : PackedFile.Source.of(model.path());
        this.cacheFile = cacheFolder == null ? null : cacheFolder.resolve(fileName(source));
        this.cached = cacheFile == null ? null : PackedFile.open(cacheFile, source);
        this.mapped = cached != null && cached.inHugePages();
    }

    /**
     * Copies of {@code model}'s matrices packed by {@code pool}'s threads, read from {@code cacheFolder} when it holds
     * them (null: no cache, every load packs; a null {@code model}: no cache either, for weights not from a file).
     *
     * @throws UncheckedIOException if the model file cannot be read
     */
    public static PackedCopies open(GgufFile model, Path cacheFolder, WorkerPool pool) {
        return new PackedCopies(model, cacheFolder, pool);
    }

    /** {@code w} with its packed copy (from the cache file, or packed now), or {@code w} itself if its type has none. */
    Weights pack(Weights w) {
        if (!Weights.packingEnabled()) return w;
        String key = key(w.data());
        Weights done = all.get(key);
        if (done != null && done.type() == w.type() && done.rows() == w.rows() && done.cols() == w.cols()) return done;
        MemorySegment copy = cached == null || key == null ? null : mapped ? cached.copy(key, w) : readCopy(key, w);
        Weights p = copy != null ? new Weights(w.data(), w.type(), w.rows(), w.cols(), copy) : w.pack(arena, pool);
        if (p.packed() != null && key != null) {
            all.put(key, p);
            if (copy == null) packedNow.put(key, p);
        }
        return p;
    }

    /**
     * {@code w}'s packed copy read from the cache file into 2 MB pages, as {@link Weights#pack} allocates them (the
     * file's mapping has 4 KB pages here, over which decoding and the prefill panels ran 20–30 % slower: TLB misses);
     * null when the file does not hold it.
     */
    private MemorySegment readCopy(String key, Weights w) {
        if (!cached.holds(key, w)) return null;
        MemorySegment m = OsMemory.allocateHuge(arena, w.rowBytes() * w.rows());
        return cached.readInto(key, w, m) ? m : null;
    }

    /** How many copies came from the cache file, and how many were packed by this load. */
    public int readFromCache() { return all.size() - packedNow.size(); }

    public int packedNow() { return packedNow.size(); }

    /**
     * The memory the copies take: in whole 2 MB pages from 2 MB up each (as {@link OsMemory#allocateHuge} maps them),
     * or, mapped from the cache file, in its pages one after the other.
     */
    public long residentBytes() {
        long sum = 0;
        for (var e : all.entrySet()) {
            long bytes = e.getValue().rowBytes() * e.getValue().rows();
            sum += mapped && !packedNow.containsKey(e.getKey()) ? bytes : OsMemory.footprint(bytes);
        }
        return sum;
    }

    /**
     * The largest copy packed by this load (0 when all came from the cache file): packing and writing the cache hold one
     * matrix twice for a moment, which sets the first load's peak.
     */
    public long largestPackedNow() {
        long max = 0;
        for (Weights w : packedNow.values()) max = Math.max(max, OsMemory.footprint(w.rowBytes() * w.rows()));
        return max;
    }

    /** The bytes of the model file the copies stand for: their mapped pages leave resident memory once copied. */
    public long sourceBytes() {
        long sum = 0;
        for (Weights w : all.values()) sum += w.data().byteSize();
        return sum;
    }

    /** The cache file, or null without a cache folder. */
    public Path cacheFile() { return cacheFile; }

    /**
     * Call when every matrix is packed: unmaps the cache file if the copies were read out of it, writes the copies to it
     * if any was packed by this load (a new file replaces one that is mapped, which stays readable until
     * {@link #close}), and deletes the folder's files made from models that have changed or are gone. A full disk or a
     * read-only folder is not an error: the cache is skipped.
     *
     * @return whether a file was written
     */
    public boolean save() {
        if (!mapped) unmapCached();
        if (cacheFile == null || packedNow.isEmpty()) return false;
        try {
            pruneStale(cacheFile.getParent());
            PackedFile.write(cacheFile, source, all);
            return true;
        } catch (IOException | UncheckedIOException e) {
            return false;
        }
    }

    /** Frees the copies and unmaps the cache file. */
    @Override
    public void close() {
        try {
            unmapCached();
        } finally {
            arena.close();
        }
    }

    private void unmapCached() {
        if (cached != null) cached.close();
        cached = null;
    }

    /**
     * Drops from resident memory the mapped pages of the model's rows that {@code w} stands for ({@link OsMemory#release}
     * on the tensor's mapping: {@link Weights} see those rows as plain native memory); returns whether the OS took it.
     */
    boolean releaseSource(Weights w) {
        MemorySegment data = w.data();
        var e = byAddress.floorEntry(data.address());
        if (e == null) return false;
        long offset = data.address() - e.getKey();
        MemorySegment mapped = e.getValue().data();
        if (offset + data.byteSize() > mapped.byteSize()) return false;
        return OsMemory.release(mapped.asSlice(offset, data.byteSize()));
    }

    /** {@code tensor@offset} for a view of a tensor's data, or null for memory that is not the model's. */
    private String key(MemorySegment data) {
        var e = byAddress.floorEntry(data.address());
        if (e == null) return null;
        long offset = data.address() - e.getKey();
        if (offset + data.byteSize() > e.getValue().data().byteSize()) return null;
        return e.getValue().name() + "@" + offset;
    }

    /** The cache file's name: the model's file name, then a digest of its identity, so two models never share one. */
    static String fileName(PackedFile.Source s) {
        String name = Path.of(s.path()).getFileName().toString().replaceFirst("(?i)\\.gguf$", "");
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest((s.path() + "\n" + s.size() + "\n" + s.modified()).getBytes(StandardCharsets.UTF_8));
            return name + "-" + HexFormat.of().formatHex(d, 0, 8) + ".packed.gguf";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Deletes the packed files in {@code folder} whose models are gone or changed (they could never be used again). */
    private static void pruneStale(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) return;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, "*.packed.gguf")) {
            for (Path f : files) {
                PackedFile.Source s = PackedFile.sourceOf(f);
                if (s == null) continue;   // not ours, or being written: leave it
                Path model = Path.of(s.path());
                boolean stale;
                try {
                    stale = !Files.isRegularFile(model) || !PackedFile.Source.of(model).equals(s);
                } catch (UncheckedIOException e) {
                    stale = true;
                }
                if (stale) Files.deleteIfExists(f);
            }
        }
    }
}
