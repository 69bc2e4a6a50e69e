package dev.vera4j.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An open GGUF model: its metadata and its tensors as read-only views of the memory-mapped file. Nothing of the
 * tensor data is copied onto the heap. A split model ({@code name-00001-of-00003.gguf}) opened by any of its parts is
 * presented as one file: metadata of the first part, tensors of all parts.
 *
 * <pre>{@code
 * try (GgufFile f = GgufFile.open(Path.of("model.gguf"))) {
 *     int layers = f.metadata().getInt("llama.block_count");
 *     GgufTensor emb = f.tensor("token_embd.weight");
 *     MemorySegment bytes = emb.data();
 * }
 * }</pre>
 *
 * <p>Closing the file unmaps it; any segment obtained from it must not be used afterwards. Segments may be read from
 * several threads at once.
 */
public final class GgufFile implements AutoCloseable {
    private static final Pattern SPLIT = Pattern.compile("(.*)-(\\d{5})-of-(\\d{5})\\.gguf");
    /** Metadata keys of llama.cpp's gguf-split. */
    static final String SPLIT_NO = "split.no", SPLIT_COUNT = "split.count", SPLIT_TENSORS = "split.tensors.count";

    private final Path path;
    private final Arena arena;
    private final List<Part> parts;
    private final Map<String, GgufTensor> tensors;

    /** One mapped file of a (possibly split) model. */
    public record Part(Path path, int version, GgufMetadata metadata, int alignment, long dataOffset, MemorySegment mapping) {}

    private GgufFile(Path path, Arena arena, List<Part> parts, Map<String, GgufTensor> tensors) {
        this.path = path;
        this.arena = arena;
        this.parts = parts;
        this.tensors = tensors;
    }

    /**
     * Maps and parses {@code path}; for a split model, every part.
     *
     * @throws GgufFormatException if a file is missing, unreadable or not valid GGUF
     */
    public static GgufFile open(Path path) {
        List<Path> files = partsOf(path);
        Arena arena = Arena.ofShared();
        try {
            List<MemorySegment> mappings = new ArrayList<>(files.size());
            for (Path p : files) mappings.add(map(p, arena));
            return assemble(files, mappings, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Parses a whole GGUF file held in {@code bytes} (heap or native), as if read from {@code name}; for tests that
     * parse many in-memory variants without touching the disk. Close the result from the calling thread.
     */
    static GgufFile parse(Path name, MemorySegment bytes) {
        Arena arena = Arena.ofConfined();
        try {
            return assemble(List.of(name), List.of(bytes), arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static GgufFile assemble(List<Path> files, List<MemorySegment> mappings, Arena arena) {
        List<Part> parts = new ArrayList<>();
        Map<String, GgufTensor> tensors = new LinkedHashMap<>();
        for (int i = 0; i < files.size(); i++) {
            Path p = files.get(i);
            MemorySegment mapping = mappings.get(i);
            GgufHeaderParser.Header h = GgufHeaderParser.parse(p, mapping);
            parts.add(new Part(p, h.version(), h.metadata(), h.alignment(), h.dataOffset(), mapping));
            for (GgufHeaderParser.TensorInfo t : h.tensors()) {
                MemorySegment data = mapping.asSlice(h.dataOffset() + t.offset(), t.byteSize()).asReadOnly();
                GgufTensor tensor = new GgufTensor(t.name(), t.type(), t.shape(), t.offset(), data);
                if (tensors.putIfAbsent(t.name(), tensor) != null) {
                    throw new GgufFormatException(p, t.infoOffset(), "tensor '" + t.name() + "' also appears in an earlier split part");
                }
            }
        }
        checkSplitMetadata(parts, tensors.size());
        return new GgufFile(files.getFirst(), arena, List.copyOf(parts), Collections.unmodifiableMap(tensors));
    }

    private static MemorySegment map(Path p, Arena arena) {
        if (Files.isDirectory(p)) throw new GgufFormatException(p, -1, "is a directory, not a GGUF file");
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        } catch (NoSuchFileException e) {
            throw new GgufFormatException(p, -1, "no such file");
        } catch (IOException e) {
            throw new GgufFormatException(p, -1, "cannot read: " + e.getMessage(), e);
        }
    }

    /** The files of the model that {@code path} belongs to, in part order; just {@code path} when it is not split. */
    static List<Path> partsOf(Path path) {
        Path name = path.getFileName();
        Matcher m = name == null ? null : SPLIT.matcher(name.toString());
        if (m == null || !m.matches()) return List.of(path);
        int count = Integer.parseInt(m.group(3));
        if (count < 1) throw new GgufFormatException(path, -1, "split count is 0");
        List<Path> files = new ArrayList<>(count);
        for (int i = 1; i <= count; i++) {
            Path part = path.resolveSibling(String.format("%s-%05d-of-%05d.gguf", m.group(1), i, count));
            if (!Files.exists(part)) throw new GgufFormatException(part, -1, "split part " + i + " of " + count + " is missing");
            files.add(part);
        }
        return files;
    }

    private static void checkSplitMetadata(List<Part> parts, int tensorTotal) {
        for (int i = 0; i < parts.size(); i++) {
            Part p = parts.get(i);
            GgufMetadata m = p.metadata();
            if (parts.size() == 1 && !m.has(SPLIT_COUNT)) continue;
            try {
                int count = m.getIntOr(SPLIT_COUNT, parts.size());
                int no = m.getIntOr(SPLIT_NO, i);
                if (count != parts.size()) throw new GgufFormatException(p.path(), -1, SPLIT_COUNT + " is " + count + " but " + parts.size() + " part(s) were found");
                if (no != i) throw new GgufFormatException(p.path(), -1, SPLIT_NO + " is " + no + ", expected " + i);
                if (i == 0 && m.has(SPLIT_TENSORS) && m.getLong(SPLIT_TENSORS) != tensorTotal) {
                    throw new GgufFormatException(p.path(), -1, SPLIT_TENSORS + " is " + m.getLong(SPLIT_TENSORS) + " but the parts hold " + tensorTotal + " tensors");
                }
            } catch (GgufKeyException e) {
                throw new GgufFormatException(p.path(), -1, e.getMessage());
            }
        }
    }

    /** The path this model was opened from (its first part when split). */
    public Path path() { return path; }

    /** GGUF version of the (first) file. */
    public int version() { return parts.getFirst().version(); }

    /** Metadata of the (first) file. */
    public GgufMetadata metadata() { return parts.getFirst().metadata(); }

    /** Alignment of the data section of the (first) file. */
    public int alignment() { return parts.getFirst().alignment(); }

    /** The mapped files, in part order. */
    public List<Part> parts() { return parts; }

    /** All tensors, in file order. */
    public Map<String, GgufTensor> tensors() { return tensors; }

    public boolean hasTensor(String name) { return tensors.containsKey(name); }

    /** The tensor called {@code name}, or {@code null}. */
    public GgufTensor findTensor(String name) { return tensors.get(name); }

    /**
     * The tensor called {@code name}.
     *
     * @throws GgufFormatException if the model has no such tensor
     */
    public GgufTensor tensor(String name) {
        GgufTensor t = tensors.get(name);
        if (t == null) throw new GgufFormatException(path, -1, "tensor '" + name + "' is missing");
        return t;
    }

    /** Total bytes of all mapped files. */
    public long fileSize() {
        long n = 0;
        for (Part p : parts) n += p.mapping().byteSize();
        return n;
    }

    /** Unmaps the files; tensor segments are invalid afterwards. */
    @Override
    public void close() { arena.close(); }
}
