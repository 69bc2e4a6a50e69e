package dev.vera4j.simd;

import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufFormatException;
import dev.vera4j.gguf.GgufTensor;
import dev.vera4j.gguf.GgufValue;
import dev.vera4j.gguf.GgufWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * Packed copies ({@link Weights#pack}) kept in a file, so that the next load maps them instead of packing again: the
 * same bytes, as a GGUF file whose tensors carry the source matrices' names, types and shapes, plus the identity of the
 * model file they were made from and the version of the layouts. A file that does not match (another source, a changed
 * source, older layouts, a truncated write) is ignored, never trusted: the caller packs and writes it again.
 *
 * <p>Where the file's mapping takes 2 MB pages ({@link #inHugePages}: the page cache holds it in 2 MB folios, which
 * {@link #write} makes by writing whole 2 MB blocks), the products read the copies straight from it ({@link #copy}): a
 * load then allocates, copies and zeroes nothing. Over 4 KB pages they would miss the TLB (the 1B Q4_K_M file decoded
 * 25 % slower), so there the copies are read into memory of 2 MB pages instead ({@link #readInto}).
 *
 * <pre>{@code
 * var source = PackedFile.Source.of(modelPath);
 * PackedFile cached = PackedFile.open(cachePath, source);                 // null when absent or stale
 * if (cached != null && cached.inHugePages()) {
 *     MemorySegment copy = cached.copy("blk.0.attn_q.weight", w);         // null when it has none; valid until close
 * } else if (cached != null) {
 *     boolean found = cached.readInto("blk.0.attn_q.weight", w, OsMemory.allocateHuge(arena, w.rowBytes() * w.rows()));
 * }
 * PackedFile.write(cachePath, source, Map.of("blk.0.attn_q.weight", packedWeights));
 * }</pre>
 */
public final class PackedFile implements AutoCloseable {
    /**
     * The version of the packed layouts and of the file's arrangement: raise it whenever a layout's byte order changes.
     * 2: written in whole 2 MB blocks (files of version 1 sit in the page cache in small folios, and are packed again).
     */
    public static final int VERSION = 2;
    private static final String PREFIX = "vera4j.packed.";
    private static final long HUGE_PAGE = 2L << 20;

    private final GgufFile file;
    /** The same file for positional reads: they copy from the page cache without faulting in a mapping's pages. */
    private final FileChannel channel;
    /** Whether the mapping takes 2 MB pages, as {@link #inHugePages} says. */
    private final boolean inHugePages;

    private PackedFile(GgufFile file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
        MemorySegment mapping = file.parts().getFirst().mapping();   // write makes one file
        long size = mapping.byteSize();
        boolean mapped = OsMemory.adviseHugePages(mapping) && OsMemory.populate(mapping);
        // a few blocks in small pages (the header's, one read by another program) cost little; most of them would cost
        // the TLB misses that reading the copies into huge pages avoids
        this.inHugePages = size < 2 * HUGE_PAGE || mapped && OsMemory.hugePageBytes(mapping) >= size * 0.9;
        if (!inHugePages) OsMemory.release(mapping);   // the copies are read into memory of their own: drop these pages
    }

    /**
     * The model file a cache was made from: its absolute path, size and modification time.
     *
     * <pre>{@code
     * PackedFile.Source s = PackedFile.Source.of(Path.of("model.gguf"));
     * }</pre>
     */
    public record Source(String path, long size, long modified) {
        /** @throws UncheckedIOException if the file cannot be read */
        public static Source of(Path model) {
            try {
                Path abs = model.toAbsolutePath().normalize();
                return new Source(abs.toString(), Files.size(abs), Files.getLastModifiedTime(abs).toMillis());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + model + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * The cache at {@code path} if it exists and was made from {@code source} with the current layouts; otherwise
     * null (a missing, stale or unreadable file is not an error: it is rebuilt).
     */
    public static PackedFile open(Path path, Source source) {
        if (!Files.isRegularFile(path)) return null;
        // before its header is read: the read-ahead of that read would bring a file that is not in the page cache
        // (evicted, or after a reboot) back in small folios
        OsMemory.cacheInHugePages(path);
        GgufFile f;
        try {
            f = GgufFile.open(path);
        } catch (GgufFormatException | UncheckedIOException e) {
            return null;
        }
        var m = f.metadata();
        boolean matches = m.getLongOr(PREFIX + "version", -1) == VERSION
                && source.path().equals(m.getStringOr(PREFIX + "source.path", ""))
                && m.getLongOr(PREFIX + "source.size", -1) == source.size()
                && m.getLongOr(PREFIX + "source.modified", -1) == source.modified();
        if (!matches) {
            f.close();
            return null;
        }
        try {
            return new PackedFile(f, FileChannel.open(path, StandardOpenOption.READ));
        } catch (IOException e) {
            f.close();
            return null;
        }
    }

    /**
     * The model a cache file at {@code path} was made from, whatever its layouts' version; null if it is not a
     * readable packed file.
     */
    public static Source sourceOf(Path path) {
        try (GgufFile f = GgufFile.open(path)) {
            var m = f.metadata();
            String p = m.getStringOr(PREFIX + "source.path", null);
            return p == null ? null : new Source(p, m.getLongOr(PREFIX + "source.size", -1), m.getLongOr(PREFIX + "source.modified", -1));
        } catch (GgufFormatException | UncheckedIOException e) {
            return null;
        }
    }

    /** Whether the file holds a packed copy of matrix {@code name} for {@code w}'s type and shape. */
    public boolean holds(String name, Weights w) {
        GgufTensor t = file.findTensor(name);
        return t != null && t.type() == w.type() && t.cols() == w.cols() && t.rows() == w.rows()
                && t.data().byteSize() >= w.rowBytes() * w.rows();
    }

    /**
     * Whether the file's mapping takes 2 MB pages, all of it mapped when it was opened (at least nine tenths in 2 MB
     * pages; or a file of less than two); false where it cannot be told.
     */
    public boolean inHugePages() { return inHugePages; }

    /**
     * The packed copy of matrix {@code name} for {@code w}'s type and shape, in the file's mapping (valid until
     * {@link #close}), or null when the file does not hold one.
     */
    public MemorySegment copy(String name, Weights w) {
        if (!holds(name, w)) return null;
        return file.findTensor(name).data().asSlice(0, w.rowBytes() * w.rows());
    }

    /**
     * Reads the packed copy of matrix {@code name} into {@code dst} (at least {@code w.rowBytes() * w.rows()} bytes) if
     * the file holds one for {@code w}'s type and shape; returns whether it did. A positional read, not a copy out of
     * the mapping: faulting in a mapping's 4 KB pages made copying a 1B model's 760 MB take 0.1–1.5 s, reading it
     * 60–110 ms.
     *
     * @throws UncheckedIOException if the file cannot be read (it was shortened after it was opened)
     */
    public boolean readInto(String name, Weights w, MemorySegment dst) {
        if (!holds(name, w)) return false;
        GgufTensor t = file.findTensor(name);
        long bytes = w.rowBytes() * w.rows();
        GgufFile.Part part = file.parts().getFirst();   // write makes one file: every tensor is in the first part
        long position = t.data().address() - part.mapping().address();
        try {
            for (long off = 0; off < bytes; ) {
                // ByteBuffers hold at most 2 GB
                var buffer = dst.asSlice(off, Math.min(bytes - off, 1L << 30)).asByteBuffer();
                while (buffer.hasRemaining()) {
                    int n = channel.read(buffer, position + off + buffer.position());
                    if (n < 0) throw new IOException("ends before matrix " + name);
                }
                off += buffer.capacity();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the packed copy " + name + ": " + e.getMessage(), e);
        }
        return true;
    }

    /**
     * Writes the packed copies of {@code matrices} (name → weights that have one) to {@code path} atomically (a
     * temporary file renamed over it), with {@code source}'s identity.
     */
    public static void write(Path path, Source source, Map<String, Weights> matrices) throws IOException {
        Files.createDirectories(path.toAbsolutePath().getParent());
        GgufWriter w = new GgufWriter().version(3).alignment(64).inWholeBlocks(true)
                .put("general.architecture", GgufValue.ofString("vera4j-packed"))
                .put(PREFIX + "version", GgufValue.ofUInt32(VERSION))
                .put(PREFIX + "source.path", GgufValue.ofString(source.path()))
                .put(PREFIX + "source.size", GgufValue.ofUInt64(source.size()))
                .put(PREFIX + "source.modified", GgufValue.ofUInt64(source.modified()));
        matrices.forEach((name, m) -> {
            if (m.packed() == null) throw new IllegalArgumentException(name + " has no packed copy");
            w.addTensor(name, m.type(), new long[] {m.cols(), m.rows()}, m.packed().asSlice(0, m.rowBytes() * m.rows()));
        });
        w.write(path);
    }

    /** Unmaps and closes the file: the copies it mapped must not be read after this. */
    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // a read-only channel: nothing was left unwritten
        } finally {
            file.close();
        }
    }
}
