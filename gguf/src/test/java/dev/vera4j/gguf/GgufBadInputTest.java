package dev.vera4j.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** One malformed file per problem; each must fail with a GgufFormatException naming the file, the offset and the problem. */
class GgufBadInputTest {
    @TempDir Path tmp;

    /** A valid file: one string key, one array key, two F32 tensors of 8 values. */
    private Path valid() throws IOException {
        Path p = tmp.resolve("valid.gguf");
        new GgufWriter()
                .put("general.name", GgufValue.ofString("tiny"))
                .put("list", GgufValue.ofArray(GgufArray.ofInt32(1, 2, 3)))
                .addTensor("a", GgmlType.F32, new long[]{8}, MemorySegment.ofArray(new float[8]))
                .addTensor("b", GgmlType.F32, new long[]{4, 2}, MemorySegment.ofArray(new float[8]))
                .write(p);
        return p;
    }

    // Byte layout of valid(): header 24 bytes, then "general.name" (8 + 12) + type 4 + value (8 + 4) = 36 bytes,
    // then "list": key at 60, 8 + 4 bytes of key, type at 72, element type at 76, count at 80.
    private static final long FIRST_KEY = 24, FIRST_TYPE = 24 + 8 + 12, LIST_COUNT = 80;

    private Path patch(Path src, long at, long value, int bytes) throws IOException {
        byte[] b = Files.readAllBytes(src);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        switch (bytes) {
            case 4 -> bb.putInt((int) at, (int) value);
            case 8 -> bb.putLong((int) at, value);
            default -> throw new IllegalArgumentException();
        }
        Path out = tmp.resolve("bad.gguf");
        Files.write(out, b);
        return out;
    }

    private static GgufHeaderParser.TensorInfo info(Path p, String name) throws IOException {
        byte[] b = Files.readAllBytes(p);
        return GgufHeaderParser.parse(p, MemorySegment.ofArray(b)).tensors().stream()
                .filter(t -> t.name().equals(name)).findFirst().orElseThrow();
    }

    /** Offset of the type field of a tensor info: name (8 + length), rank 4, dims 8 each. */
    private static long typeField(GgufHeaderParser.TensorInfo t) {
        return t.infoOffset() + 8 + t.name().getBytes(StandardCharsets.UTF_8).length + 4 + 8L * t.shape().length;
    }

    private static void assertFails(Path p, long offset, String problem) {
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> {
            try (GgufFile f = GgufFile.open(p)) {
                fail("opened " + f.path());
            }
        });
        assertEquals(offset, e.offset(), e.getMessage());
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        assertTrue(offset < 0 || e.getMessage().contains("at byte " + offset), e.getMessage());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
    }

    @Test
    void validFileOpens() throws IOException {
        try (GgufFile f = GgufFile.open(valid())) {
            assertEquals(2, f.tensors().size());
            assertArrayEquals(new int[]{1, 2, 3}, f.metadata().getIntArray("list"));
            assertEquals(LIST_COUNT, FIRST_KEY + 36 + 8 + 4 + 4 + 4);
        }
    }

    @Test
    void truncatedFile() throws IOException {
        byte[] b = Files.readAllBytes(valid());
        Path p = tmp.resolve("short.gguf");
        long a = info(valid(), "a").infoOffset();     // name length 8, name "a", then the rank
        Files.write(p, Arrays.copyOf(b, (int) a + 11));
        assertFails(p, a + 9, "file ends inside the rank of tensor 'a'");
        Files.write(p, Arrays.copyOf(b, 50));          // so short that two tensor infos cannot fit
        assertFails(p, 8, "tensor count 2 is impossible for a file of 50 bytes");
    }

    @Test
    void truncatedTensorData() throws IOException {
        byte[] b = Files.readAllBytes(valid());
        Path p = tmp.resolve("short.gguf");
        Files.write(p, Arrays.copyOf(b, b.length - 20)); // 'a' still fits, 'b' does not
        assertFails(p, info(valid(), "b").infoOffset(), "lies outside the data section");
    }

    @Test
    void emptyFile() throws IOException {
        Path p = Files.createFile(tmp.resolve("empty.gguf"));
        assertFails(p, 0, "file ends inside the magic number");
    }

    @Test
    void wrongMagic() throws IOException {
        Path p = tmp.resolve("text.gguf");
        Files.writeString(p, "hello, this is not a model at all");
        assertFails(p, 0, "not a GGUF file");
    }

    @Test
    void unsupportedVersion() throws IOException {
        assertFails(patch(valid(), 4, 4, 4), 4, "unsupported GGUF version 4");
        assertFails(patch(valid(), 4, 1, 4), 4, "unsupported GGUF version 1");
    }

    @Test
    void absurdTensorCount() throws IOException {
        assertFails(patch(valid(), 8, 1L << 62, 8), 8, "tensor count 4611686018427387904 is impossible");
    }

    @Test
    void absurdMetadataCount() throws IOException {
        assertFails(patch(valid(), 16, -1L, 8), 16, "metadata count 18446744073709551615 is impossible");
    }

    @Test
    void stringLongerThanFile() throws IOException {
        assertFails(patch(valid(), FIRST_KEY, 1L << 40, 8), FIRST_KEY, "metadata key #0 length 1099511627776 runs past the end of the file");
    }

    /**
     * A string array's element whose length runs past the end, and a file that ends inside an element's length: the
     * message names the element, as for any other string (the elements are read on a path of their own).
     */
    @Test
    void stringArrayElementPastTheEnd() throws IOException {
        Path p = tmp.resolve("words.gguf");
        String first = "a first word long enough that the cut file still holds 8 bytes per element";
        new GgufWriter().put("words", GgufValue.ofArray(GgufArray.ofStrings(first, "cd", "ef"))).write(p);
        long second = 24 + 8 + "words".length() + 4 + 4 + 8 + 8 + first.length();   // header, key, type, element type, count, first
        assertFails(patch(p, second, 1L << 40, 8), second, "element 1 of 'words' length 1099511627776 runs past the end of the file");
        byte[] b = Files.readAllBytes(p);
        Path cut = tmp.resolve("cut.gguf");
        Files.write(cut, Arrays.copyOf(b, (int) second + 4));
        assertFails(cut, second, "file ends inside element 1 of 'words' length (needs 8 bytes, 4 left)");
        try (GgufFile f = GgufFile.open(p)) {
            assertArrayEquals(new String[]{first, "cd", "ef"}, f.metadata().getStringArray("words"));
        }
    }

    @Test
    void arrayLongerThanFile() throws IOException {
        assertFails(patch(valid(), LIST_COUNT, 1L << 31, 8), LIST_COUNT, "array 'list' of 2147483648 int32 elements runs past the end of the file");
    }

    @Test
    void unknownValueType() throws IOException {
        assertFails(patch(valid(), FIRST_TYPE, 13, 4), FIRST_TYPE, "unknown metadata value type 13 for key 'general.name'");
    }

    @Test
    void unknownArrayElementType() throws IOException {
        assertFails(patch(valid(), LIST_COUNT - 4, 99, 4), LIST_COUNT - 4, "unknown array element type 99 in 'list'");
    }

    @Test
    void unknownTensorType() throws IOException {
        Path v = valid();
        long at = typeField(info(v, "a"));
        assertFails(patch(v, at, 4, 4), at, "tensor 'a' has unknown type 4");
    }

    @Test
    void shapeWhoseElementCountOverflows() throws IOException {
        Path v = valid();
        GgufHeaderParser.TensorInfo b = info(v, "b");
        long dim0 = typeField(b) - 16, dim1 = typeField(b) - 8;
        Path p = patch(v, dim0, 1L << 32, 8);
        byte[] bytes = Files.readAllBytes(p);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong((int) dim1, 1L << 32);
        Files.write(p, bytes);
        assertFails(p, dim1, "tensor 'b' element count overflows 64 bits");
    }

    @Test
    void tensorOutsideTheDataSection() throws IOException {
        Path v = valid();
        GgufHeaderParser.TensorInfo b = info(v, "b");
        assertFails(patch(v, typeField(b) + 4, 1L << 20, 8), b.infoOffset(), "tensor 'b' (32 bytes at data offset 1048576) lies outside the data section");
    }

    @Test
    void overlappingTensors() throws IOException {
        Path v = valid();
        GgufHeaderParser.TensorInfo b = info(v, "b");
        assertFails(patch(v, typeField(b) + 4, 0, 8), b.infoOffset(), "overlaps tensor 'a'");
    }

    @Test
    void misalignedOffset() throws IOException {
        Path v = valid();
        GgufHeaderParser.TensorInfo b = info(v, "b");
        long at = typeField(b) + 4;
        assertFails(patch(v, at, 36, 8), at, "tensor 'b' offset 36 is not a multiple of the alignment 32");
    }

    @Test
    void badAlignmentValue() throws IOException {
        Path p = tmp.resolve("align.gguf");
        new GgufWriter().put("general.alignment", GgufValue.ofUInt32(16)).write(p);
        long valueAt = 24 + 8 + "general.alignment".length() + 4;
        assertFails(patch(p, valueAt, 24, 4), valueAt, "general.alignment 24 is not a power of two");
    }

    @Test
    void invalidBool() throws IOException {
        Path p = tmp.resolve("bool.gguf");
        new GgufWriter().put("flag", GgufValue.ofBool(true)).write(p);
        long valueAt = 24 + 8 + 4 + 4;
        byte[] b = Files.readAllBytes(p);
        b[(int) valueAt] = 7;
        Files.write(p, b);
        assertFails(p, valueAt, "bool value of 'flag' is 7");
    }

    @Test
    void duplicateKey() throws IOException {
        Path p = tmp.resolve("dup.gguf");
        new GgufWriter().put("k1", GgufValue.ofUInt8(1)).put("k2", GgufValue.ofUInt8(2)).write(p);
        byte[] b = Files.readAllBytes(p);
        long second = 24 + 8 + 2 + 4 + 1;   // each entry: key length, "kN", type, one byte of value
        b[(int) second + 8 + 1] = '1';      // "k2" -> "k1"
        Files.write(p, b);
        assertFails(p, second, "duplicate metadata key 'k1'");
    }

    @Test
    void arraysNestedTooDeep() throws IOException {
        GgufArray a = GgufArray.ofInt32(1);
        for (int i = 0; i < 9; i++) a = GgufArray.ofArrays(a);
        Path p = tmp.resolve("deep.gguf");
        new GgufWriter().put("deep", GgufValue.ofArray(a)).write(p);
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(p).close());
        assertTrue(e.getMessage().contains("nested deeper than"), e.getMessage());
    }

    @Test
    void missingFileAndDirectory() {
        Path missing = tmp.resolve("nope.gguf");
        assertFails(missing, -1, "no such file");
        assertFails(tmp, -1, "is a directory");
    }
}
