package dev.vera4j.vera.peft;

import dev.vera4j.engine.json.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes safetensors files the way the reference implementation ({@code safetensors.torch.save_file}) lays them out:
 * tensors ordered by descending dtype (see {@link SafetensorsDtype}) then by name, back to back; a compact JSON header
 * with {@code __metadata__} first; the header padded with spaces to a multiple of 8 bytes.
 *
 * <pre>{@code
 * new SafetensorsWriter()
 *     .metadata("format", "pt")
 *     .addFloats("base_model.vera_A", SafetensorsDtype.F32, new long[] {r, in}, a)
 *     .write(Path.of("adapter_model.safetensors"));   // temp file, then atomic rename
 * }</pre>
 */
public final class SafetensorsWriter {
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final Map<String, Pending> tensors = new LinkedHashMap<>();

    private record Pending(String name, SafetensorsDtype dtype, long[] shape, byte[] data) {}

    /** Adds one {@code __metadata__} entry (PEFT writes {@code "format": "pt"}). */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /**
     * Adds a tensor from its little-endian bytes (not copied: do not change them before {@link #write}).
     *
     * @throws IllegalArgumentException on a duplicate or reserved name, a negative dimension or a byte count that
     *                                  does not match dtype and shape
     */
    public SafetensorsWriter add(String name, SafetensorsDtype dtype, long[] shape, byte[] data) {
        if (name.equals("__metadata__")) {
            throw new IllegalArgumentException("'__metadata__' is reserved and cannot name a tensor");
        }
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException("tensor '" + name + "' added twice");
        }
        long elements = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': negative dimension in " + Arrays.toString(shape));
            }
            elements = Math.multiplyExact(elements, d);
        }
        if (elements * dtype.size() != data.length) {
            throw new IllegalArgumentException("tensor '" + name + "': " + data.length + " bytes given but " + dtype
                    + " " + Arrays.toString(shape) + " needs " + elements * dtype.size());
        }
        tensors.put(name, new Pending(name, dtype, shape.clone(), data));
        return this;
    }

    /** Adds a tensor of floats stored as {@code dtype} (F32, F16, BF16 or F64; see {@link SafetensorsTensor#encode}). */
    public SafetensorsWriter addFloats(String name, SafetensorsDtype dtype, long[] shape, float[] values) {
        return add(name, dtype, shape, SafetensorsTensor.encode(dtype, values));
    }

    /** Adds a copy of a tensor read from another file, bytes unchanged. */
    public SafetensorsWriter add(SafetensorsTensor tensor) {
        return add(tensor.name(), tensor.dtype(), tensor.shape(), tensor.data().toArray(ValueLayout.JAVA_BYTE));
    }

    /** The whole file as bytes. */
    public byte[] toBytes() {
        List<Pending> ordered = ordered();
        byte[] header = header(ordered);
        long total = 8L + header.length;
        for (Pending t : ordered) {
            total += t.data.length;
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("safetensors image of " + total + " bytes is too large for an array; use write(Path)");
        }
        ByteBuffer out = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(header.length).put(header);
        for (Pending t : ordered) {
            out.put(t.data);
        }
        return out.array();
    }

    /**
     * Writes the file to a temporary sibling and renames it over {@code path}, so readers never see half a file.
     *
     * @throws IOException if writing or renaming fails (the temporary file is removed)
     */
    public void write(Path path) throws IOException {
        List<Pending> ordered = ordered();
        byte[] header = header(ordered);
        Path dir = path.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, path.getFileName().toString(), ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
                out.write(header);
                for (Pending t : ordered) {
                    out.write(t.data);
                }
            }
            try {
                Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private List<Pending> ordered() {
        List<Pending> list = new ArrayList<>(tensors.values());
        // safetensors' prepare(): descending dtype alignment, then name (byte-wise, as Rust compares strings)
        list.sort(Comparator.comparing((Pending p) -> p.dtype, Comparator.reverseOrder())
                .thenComparing((Pending p) -> p.name.getBytes(StandardCharsets.UTF_8), Arrays::compareUnsigned));
        return list;
    }

    private byte[] header(List<Pending> ordered) {
        Map<String, Object> json = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            json.put("__metadata__", metadata);
        }
        long offset = 0;
        for (Pending t : ordered) {
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", t.dtype.name());
            List<Long> shape = new ArrayList<>();
            for (long d : t.shape) {
                shape.add(d);
            }
            info.put("shape", shape);
            info.put("data_offsets", List.of(offset, offset + t.data.length));
            offset += t.data.length;
            json.put(t.name, info);
        }
        byte[] text = Json.write(json).getBytes(StandardCharsets.UTF_8);
        int padded = (text.length + 7) & ~7;
        byte[] header = Arrays.copyOf(text, padded);
        Arrays.fill(header, text.length, padded, (byte) ' ');
        if (header.length > Safetensors.MAX_HEADER_SIZE) {
            throw new IllegalStateException("safetensors header of " + header.length + " bytes exceeds the limit");
        }
        return header;
    }
}
