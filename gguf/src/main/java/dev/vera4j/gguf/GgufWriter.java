package dev.vera4j.gguf;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Builds a GGUF file: metadata in insertion order, then tensor infos, then the tensor data, each tensor starting at a
 * multiple of the alignment with zero bytes in between (the layout llama.cpp writes). Tensor bytes are streamed from
 * {@link MemorySegment}s or {@link TensorSource}s, so a model far larger than the heap can be written; the file
 * appears atomically (written to a temporary file in the same directory, then renamed).
 *
 * <pre>{@code
 * new GgufWriter().version(3).alignment(32)
 *         .put("general.architecture", GgufValue.ofString("llama"))
 *         .putAll(source.metadata())
 *         .addTensor("output.weight", GgmlType.Q8_0, new long[]{4096, 32000}, segment)
 *         .write(Path.of("out.gguf"));
 *
 * try (GgufFile f = GgufFile.open(in)) { GgufWriter.copyOf(f).write(out); }   // same bytes as in
 * }</pre>
 *
 * <p>The alignment is the {@code general.alignment} metadata value: {@link #alignment(int)} sets that key (and adds
 * it when it differs from the default 32), and {@link #put} of that key changes the alignment.
 */
public final class GgufWriter {
    private record Tensor(String name, GgmlType type, long[] shape, long bytes, MemorySegment data, TensorSource source) {}

    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private int version = 3;
    private int alignment = GgufHeaderParser.DEFAULT_ALIGNMENT;
    private boolean padEnd = true;
    private boolean inWholeBlocks;

    /** GGUF version to write: 2 or 3 (same layout; 3 is what llama.cpp writes today). */
    public GgufWriter version(int version) {
        if (version != 2 && version != 3) throw new IllegalArgumentException("GGUF version " + version + " cannot be written (2 or 3)");
        this.version = version;
        return this;
    }

    /** Alignment of the data section and of every tensor: a power of two up to 2^30; default 32. */
    public GgufWriter alignment(int alignment) {
        if (!GgufHeaderParser.isValidAlignment(alignment)) throw new IllegalArgumentException("alignment " + alignment + " is not a power of two between 1 and 2^30");
        GgufValue old = metadata.get(GgufHeaderParser.ALIGNMENT_KEY);
        if (old != null) {
            metadata.put(GgufHeaderParser.ALIGNMENT_KEY, new GgufValue(old.type(), (long) alignment));
        } else if (alignment != GgufHeaderParser.DEFAULT_ALIGNMENT) {
            metadata.put(GgufHeaderParser.ALIGNMENT_KEY, GgufValue.ofUInt32(alignment));
        }
        this.alignment = alignment;
        return this;
    }

    /**
     * Whether the file ends with zero padding up to the alignment (default true, as llama.cpp writes). Some older
     * writers left a file without tensors unpadded; {@link #copyOf} keeps whichever the source did.
     */
    public GgufWriter padEnd(boolean padEnd) {
        this.padEnd = padEnd;
        return this;
    }

    /**
     * Whether {@link #write} writes the file in whole 2 MiB blocks ({@link BlockWriter}; default false): then the page
     * cache of a file system with large folios keeps it in 2 MiB folios, which a mapping advised to take huge pages
     * maps as such (the packed-copy cache). Other files keep the usual small pages: a mapping of those touched row
     * by row (a token embedding) stays small.
     */
    public GgufWriter inWholeBlocks(boolean inWholeBlocks) {
        this.inWholeBlocks = inWholeBlocks;
        return this;
    }

    /** Adds or replaces one metadata entry; a replaced key keeps its position. */
    public GgufWriter put(String key, GgufValue value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        if (key.equals(GgufHeaderParser.ALIGNMENT_KEY)) {
            long a = value.type().isInteger() ? (Long) value.value() : -1;
            if (!GgufHeaderParser.isValidAlignment(a)) throw new IllegalArgumentException(key + " must be an integer power of two up to 2^30, got " + value);
            alignment = (int) a;
        }
        metadata.put(key, value);
        return this;
    }

    /** Adds every entry of {@code m}, in its order. */
    public GgufWriter putAll(GgufMetadata m) {
        m.asMap().forEach(this::put);
        return this;
    }

    /** The metadata as it will be written (a snapshot). */
    public GgufMetadata metadata() { return new GgufMetadata(metadata); }

    /** Drops a metadata entry if present ({@code general.alignment} falls back to 32). */
    public GgufWriter remove(String key) {
        if (metadata.remove(key) != null && key.equals(GgufHeaderParser.ALIGNMENT_KEY)) alignment = GgufHeaderParser.DEFAULT_ALIGNMENT;
        return this;
    }

    /** Drops a tensor if present (e.g. to replace it in a {@link #copyOf} writer). */
    public GgufWriter removeTensor(String name) {
        tensors.remove(name);
        return this;
    }

    /**
     * Adds a tensor whose bytes are {@code data} (mapped or heap; it is read while {@link #write} runs, never copied
     * whole). {@code shape[0]} is the innermost dimension, as in ggml.
     *
     * @throws IllegalArgumentException if the shape is invalid for {@code type}, {@code data} has another size, or the
     *                                  name is taken
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, MemorySegment data) {
        Objects.requireNonNull(data, "data");
        long bytes = checkTensor(name, type, shape);
        if (data.byteSize() != bytes) {
            throw new IllegalArgumentException("tensor '" + name + "': " + type + " " + java.util.Arrays.toString(shape) + " needs " + bytes + " bytes, data has " + data.byteSize());
        }
        tensors.put(name, new Tensor(name, type, shape.clone(), bytes, data, null));
        return this;
    }

    /** Adds a tensor whose bytes {@code source} streams into the file; it must write exactly {@code type.bytesFor(elements)} bytes. */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, TensorSource source) {
        Objects.requireNonNull(source, "source");
        long bytes = checkTensor(name, type, shape);
        tensors.put(name, new Tensor(name, type, shape.clone(), bytes, null, source));
        return this;
    }

    private long checkTensor(String name, GgmlType type, long[] shape) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        if (tensors.containsKey(name)) throw new IllegalArgumentException("tensor '" + name + "' was already added");
        if (shape.length < 1 || shape.length > GgufHeaderParser.MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + shape.length + " dimensions (1 to " + GgufHeaderParser.MAX_DIMS + " allowed)");
        }
        long elements = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("tensor '" + name + "' has a negative dimension " + d);
            try {
                elements = Math.multiplyExact(elements, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("tensor '" + name + "' element count overflows 64 bits");
            }
        }
        if (shape[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "' rows of " + shape[0] + " values are not whole " + type + " blocks of " + type.blockSize());
        }
        try {
            return type.bytesFor(elements);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor '" + name + "' byte size overflows 64 bits");
        }
    }

    /**
     * A writer pre-filled with {@code file}'s version, metadata, alignment and tensors (their data read from the
     * mapping when written, so {@code file} must stay open until then). Unchanged, it reproduces a llama.cpp-written
     * file byte for byte. A split model becomes one file without the {@code split.*} keys.
     */
    public static GgufWriter copyOf(GgufFile file) {
        GgufWriter w = new GgufWriter().version(file.version());
        boolean split = file.parts().size() > 1;
        file.metadata().asMap().forEach((k, v) -> {
            if (!(split && k.startsWith("split."))) w.put(k, v);
        });
        GgufFile.Part last = file.parts().getLast();
        w.padEnd(last.mapping().byteSize() % last.alignment() == 0);
        for (GgufTensor t : file.tensors().values()) w.addTensor(t.name(), t.type(), t.shape(), t.data());
        return w;
    }

    /**
     * Writes the file to {@code target} atomically: into a temporary file next to it, flushed to disk, then renamed
     * over {@code target} (in whole 2 MiB blocks with {@link #inWholeBlocks}). On any failure the temporary file is
     * deleted and {@code target} is left as it was.
     */
    public void write(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                if (inWholeBlocks) {
                    BlockWriter blocks = new BlockWriter(ch);
                    writeTo(blocks);
                    blocks.finish();
                } else {
                    writeTo(ch);
                }
                ch.force(true);
            }
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: keep the default permissions
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Writes the whole file to {@code channel} (not closed) and returns the number of bytes written. */
    public long writeTo(WritableByteChannel channel) throws IOException {
        GgufOutput out = new GgufOutput(channel);
        out.u32(GgufHeaderParser.MAGIC);
        out.u32(version);
        out.u64(tensors.size());
        out.u64(metadata.size());
        for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
            out.string(e.getKey());
            out.u32(e.getValue().type().id());
            GgufValueWriter.write(out, e.getValue());
        }
        List<Tensor> list = new ArrayList<>(tensors.values());
        long offset = 0;
        for (Tensor t : list) {
            out.string(t.name());
            out.u32(t.shape().length);
            for (long d : t.shape()) out.u64(d);
            out.u32(t.type().id());
            out.u64(offset);
            offset = GgufHeaderParser.alignUp(offset + t.bytes(), alignment);
        }
        if (!list.isEmpty() || padEnd) out.padTo(alignment);
        for (int i = 0; i < list.size(); i++) {
            Tensor t = list.get(i);
            if (t.data() != null) out.segment(t.data());
            else out.stream(t.source(), t.bytes(), "tensor '" + t.name() + "'");
            if (i < list.size() - 1 || padEnd) out.padTo(alignment);
        }
        out.flush();
        return out.position();
    }
}
