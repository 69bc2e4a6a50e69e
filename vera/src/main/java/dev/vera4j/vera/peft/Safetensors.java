package dev.vera4j.vera.peft;

import dev.vera4j.engine.json.Json;
import dev.vera4j.engine.json.JsonException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file opened for reading: {@code u64} little-endian header length {@code N}, {@code N} bytes of UTF-8
 * JSON ({@code {"__metadata__": {str: str}, "name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}}},
 * offsets relative to the data that follows), then the tensor bytes. Tensors are read-only views of the mapping.
 *
 * <p>Validation follows the reference implementation ({@code safetensors::SafeTensors::read_metadata}): header at most
 * 100,000,000 bytes and inside the file, tensors back to back without gaps or overlaps, each tensor's byte length equal
 * to its element count times the dtype size, and the last one ending exactly at the end of the file. Every violation
 * is a {@link SafetensorsFormatException} naming the file and the problem.
 *
 * <pre>{@code
 * try (Safetensors st = Safetensors.open(Path.of("adapter_model.safetensors"))) {
 *     String format = st.metadata().get("format");            // "pt"
 *     float[] lambdaB = st.tensor("base_model.model.model.layers.0.self_attn.q_proj.vera_lambda_b").toFloats();
 * }
 * }</pre>
 */
public final class Safetensors implements AutoCloseable {
    /** The reference implementation's limit on the JSON header. */
    public static final long MAX_HEADER_SIZE = 100_000_000L;
    private static final String METADATA_KEY = "__metadata__";
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Arena arena;
    private final String where;
    private final Map<String, String> metadata;
    private final Map<String, SafetensorsTensor> tensors;

    private Safetensors(Arena arena, String where, Map<String, String> metadata, Map<String, SafetensorsTensor> tensors) {
        this.arena = arena;
        this.where = where;
        this.metadata = metadata;
        this.tensors = tensors;
    }

    /**
     * Maps and validates {@code path}.
     *
     * @throws SafetensorsFormatException if the file cannot be read or is not valid safetensors
     */
    public static Safetensors open(Path path) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment mapping;
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                mapping = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            } catch (IOException e) {
                throw new SafetensorsFormatException(path.toString(), "cannot read: " + e.getMessage(), e);
            }
            return parse(mapping.asReadOnly(), path.toString(), arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Validates an in-memory safetensors image; the tensors view {@code bytes} without copying.
     *
     * @param where names the data in error messages
     * @throws SafetensorsFormatException if it is not valid safetensors
     */
    public static Safetensors parse(byte[] bytes, String where) {
        return parse(MemorySegment.ofArray(bytes).asReadOnly(), where, null);
    }

    private static Safetensors parse(MemorySegment file, String where, Arena arena) {
        long size = file.byteSize();
        if (size < 8) {
            throw new SafetensorsFormatException(where, "file of " + size + " bytes is too short for the 8-byte header length");
        }
        long n = file.get(U64, 0);
        if (n < 0 || n > MAX_HEADER_SIZE) {
            throw new SafetensorsFormatException(where, "header length " + Long.toUnsignedString(n)
                    + " exceeds the limit of " + MAX_HEADER_SIZE + " bytes");
        }
        if (n > size - 8) {
            throw new SafetensorsFormatException(where, "header length " + n + " runs past the end of the file ("
                    + size + " bytes)");
        }
        Map<String, Object> header = parseHeader(file.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE), where);
        long dataStart = 8 + n;
        long dataLength = size - dataStart;

        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, Object> e : header.entrySet()) {
            if (e.getKey().equals(METADATA_KEY)) {
                readMetadata(e.getValue(), where, metadata);
            } else {
                entries.add(readEntry(e.getKey(), e.getValue(), where));
            }
        }
        checkLayout(entries, dataLength, where);

        Map<String, SafetensorsTensor> tensors = new LinkedHashMap<>();
        for (Entry t : entries) {
            MemorySegment data = file.asSlice(dataStart + t.begin, t.end - t.begin);
            tensors.put(t.name, new SafetensorsTensor(t.name, t.dtype, t.shape, data));
        }
        return new Safetensors(arena, where, Collections.unmodifiableMap(metadata), Collections.unmodifiableMap(tensors));
    }

    private record Entry(String name, SafetensorsDtype dtype, long[] shape, long begin, long end) {}

    private static Map<String, Object> parseHeader(byte[] bytes, String where) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsFormatException(where, "header is not valid UTF-8", e);
        }
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (JsonException e) {
            throw new SafetensorsFormatException(where, "header is not valid JSON: " + e.getMessage(), e);
        }
        if (!(parsed instanceof Map<?, ?> map)) {
            throw new SafetensorsFormatException(where, "header is not a JSON object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> header = (Map<String, Object>) map;
        return header;
    }

    private static void readMetadata(Object value, String where, Map<String, String> out) {
        if (!(value instanceof Map<?, ?> map)) {
            throw new SafetensorsFormatException(where, "__metadata__ is not an object of strings");
        }
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new SafetensorsFormatException(where, "__metadata__ value of '" + e.getKey() + "' is not a string");
            }
            out.put((String) e.getKey(), s);
        }
    }

    private static Entry readEntry(String name, Object value, String where) {
        if (!(value instanceof Map<?, ?> info)) {
            throw new SafetensorsFormatException(where, "tensor '" + name + "': entry is not an object");
        }
        if (!(info.get("dtype") instanceof String dtypeName)) {
            throw new SafetensorsFormatException(where, "tensor '" + name + "': missing dtype");
        }
        SafetensorsDtype dtype = SafetensorsDtype.parse(dtypeName).orElseThrow(() -> new SafetensorsFormatException(
                where, "tensor '" + name + "': unknown dtype '" + dtypeName + "'"));
        long[] shape = longs(info.get("shape"), -1, name, "shape", where);
        long[] offsets = longs(info.get("data_offsets"), 2, name, "data_offsets", where);
        long elements = 1;
        for (long d : shape) {
            try {
                elements = Math.multiplyExact(elements, d);
            } catch (ArithmeticException e) {
                throw new SafetensorsFormatException(where, "tensor '" + name + "': shape overflows");
            }
        }
        long expected;
        try {
            expected = Math.multiplyExact(elements, dtype.size());
        } catch (ArithmeticException e) {
            throw new SafetensorsFormatException(where, "tensor '" + name + "': shape overflows");
        }
        if (offsets[1] < offsets[0]) {
            throw new SafetensorsFormatException(where, "tensor '" + name + "': data_offsets [" + offsets[0] + ", "
                    + offsets[1] + "] end before they begin");
        }
        if (offsets[1] - offsets[0] != expected) {
            throw new SafetensorsFormatException(where, "tensor '" + name + "': data_offsets span "
                    + (offsets[1] - offsets[0]) + " bytes but " + dtype + " " + Arrays.toString(shape)
                    + " needs " + expected);
        }
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] longs(Object value, int count, String name, String field, String where) {
        if (!(value instanceof List<?> list) || (count >= 0 && list.size() != count)) {
            throw new SafetensorsFormatException(where, "tensor '" + name + "': " + field + " is not "
                    + (count >= 0 ? "an array of " + count + " integers" : "an array of integers"));
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long l) || l < 0) {
                throw new SafetensorsFormatException(where, "tensor '" + name + "': " + field + "[" + i + "] = "
                        + list.get(i) + " is not a non-negative integer");
            }
            out[i] = l;
        }
        return out;
    }

    /** Tensors must tile the data section exactly, like the reference reader demands. */
    private static void checkLayout(List<Entry> entries, long dataLength, String where) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long position = 0;
        Entry previous = null;
        for (Entry t : sorted) {
            if (t.end > dataLength) {
                throw new SafetensorsFormatException(where, "tensor '" + t.name + "': data_offsets [" + t.begin + ", "
                        + t.end + "] lie outside the " + dataLength + " data bytes of the file");
            }
            if (t.begin < position) {
                throw new SafetensorsFormatException(where, "tensor '" + t.name + "' overlaps tensor '"
                        + previous.name + "' (bytes " + t.begin + " to " + position + ")");
            }
            if (t.begin > position) {
                throw new SafetensorsFormatException(where, "gap of " + (t.begin - position)
                        + " unused bytes before tensor '" + t.name + "'");
            }
            position = t.end;
            previous = t;
        }
        if (position != dataLength) {
            throw new SafetensorsFormatException(where, (dataLength - position)
                    + " bytes after the last tensor are not described by the header");
        }
    }

    /** The {@code __metadata__} strings, in header order (empty when absent). */
    public Map<String, String> metadata() { return metadata; }

    /** All tensors by name, in header order. */
    public Map<String, SafetensorsTensor> tensors() { return tensors; }

    /** Whether a tensor called {@code name} exists. */
    public boolean has(String name) { return tensors.containsKey(name); }

    /**
     * The tensor called {@code name}.
     *
     * @throws SafetensorsFormatException if there is none
     */
    public SafetensorsTensor tensor(String name) {
        SafetensorsTensor t = tensors.get(name);
        if (t == null) {
            throw new SafetensorsFormatException(where, "no tensor named '" + name + "'");
        }
        return t;
    }

    /** Unmaps the file; tensors obtained from it must not be used afterwards. */
    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }
}
