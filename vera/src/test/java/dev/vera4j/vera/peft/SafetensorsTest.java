package dev.vera4j.vera.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

    /** A file image with the given header text and {@code dataBytes} zero bytes of data. */
    static byte[] image(String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length).put(h).array();
    }

    static String message(byte[] file) {
        return assertThrows(SafetensorsFormatException.class, () -> Safetensors.parse(file, "t.safetensors")).getMessage();
    }

    @Test
    void readsTheReferenceImplementationsDocExample() {
        // from safetensors' own documentation: a 2x2 I32 tensor of zeros, header of 60 bytes without padding
        byte[] file = image("{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", 16);
        assertEquals(60, file[0]);
        Safetensors st = Safetensors.parse(file, "doc");
        SafetensorsTensor t = st.tensor("test");
        assertEquals(SafetensorsDtype.I32, t.dtype());
        assertArrayEquals(new long[] {2, 2}, t.shape());
        assertEquals(16, t.data().byteSize());
        assertTrue(st.metadata().isEmpty());
    }

    @Test
    void writerLaysOutLikeSaveFile() {
        byte[] file = new SafetensorsWriter()
                .metadata("format", "pt")
                .add("b", SafetensorsDtype.I8, new long[] {3}, new byte[] {1, 2, 3})
                .addFloats("z", SafetensorsDtype.F16, new long[] {2}, new float[] {1f, -2f})
                .addFloats("a", SafetensorsDtype.F32, new long[] {1}, new float[] {0.5f})
                .addFloats("c", SafetensorsDtype.F32, new long[] {2, 1}, new float[] {1f, 2f})
                .toBytes();
        long n = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8, "header padded to 8 bytes");
        String header = new String(file, 8, (int) n, StandardCharsets.UTF_8);
        String expected = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"c\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[4,12]},"
                + "\"z\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[12,16]},"
                + "\"b\":{\"dtype\":\"I8\",\"shape\":[3],\"data_offsets\":[16,19]}}";
        assertEquals(expected, header.stripTrailing());
        assertEquals(8 + n + 19, file.length);
        // F16 1.0 = 0x3C00, -2.0 = 0xC000, little-endian
        int z = (int) (8 + n + 12);
        assertArrayEquals(new byte[] {0x00, 0x3C, 0x00, (byte) 0xC0}, java.util.Arrays.copyOfRange(file, z, z + 4));
    }

    @Test
    void roundTripsThroughAFile(@TempDir Path dir) throws Exception {
        float[] values = {0f, -0f, 1.5f, Float.MIN_VALUE, Float.MAX_VALUE, -3.25e-8f};
        Path path = dir.resolve("x.safetensors");
        new SafetensorsWriter()
                .metadata("format", "pt").metadata("note", "ünïcode")
                .addFloats("w.f32", SafetensorsDtype.F32, new long[] {2, 3}, values)
                .addFloats("w.bf16", SafetensorsDtype.BF16, new long[] {6}, values)
                .addFloats("w.f16", SafetensorsDtype.F16, new long[] {6}, values)
                .add("empty", SafetensorsDtype.F32, new long[] {0, 4}, new byte[0])
                .add("scalar", SafetensorsDtype.I64, new long[] {}, new byte[8])
                .write(path);
        byte[] bytes = Files.readAllBytes(path);
        try (Safetensors st = Safetensors.open(path)) {
            assertEquals(Map.of("format", "pt", "note", "ünïcode"), st.metadata());
            assertArrayEquals(values, st.tensor("w.f32").toFloats());
            float[] bf16 = st.tensor("w.bf16").toFloats();
            float[] f16 = st.tensor("w.f16").toFloats();
            for (int i = 0; i < values.length; i++) {
                assertEquals(Float.intBitsToFloat((SafetensorsTensor.toBf16(values[i]) & 0xFFFF) << 16), bf16[i]);
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(values[i])), f16[i]);
            }
            assertEquals(0, st.tensor("empty").elementCount());
            assertEquals(1, st.tensor("scalar").elementCount());
            SafetensorsWriter copy = new SafetensorsWriter();
            st.metadata().forEach(copy::metadata);
            st.tensors().values().forEach(copy::add);
            assertArrayEquals(bytes, copy.toBytes(), "read then write reproduces the file byte for byte");
        }
    }

    @Test
    void bf16RoundsToNearestEvenLikeC10() {
        assertEquals((short) 0x3F80, SafetensorsTensor.toBf16(1.0f));
        assertEquals((short) 0x3F80, SafetensorsTensor.toBf16(Float.intBitsToFloat(0x3F808000))); // tie -> even
        assertEquals((short) 0x3F82, SafetensorsTensor.toBf16(Float.intBitsToFloat(0x3F818000))); // tie -> even (up)
        assertEquals((short) 0x3F81, SafetensorsTensor.toBf16(Float.intBitsToFloat(0x3F808001)));
        assertEquals((short) 0x7F80, SafetensorsTensor.toBf16(Float.POSITIVE_INFINITY));
        assertEquals((short) 0x7FC0, SafetensorsTensor.toBf16(Float.NaN));
    }

    @Test
    void rejectsTruncatedAndOversizedHeaders() {
        assertTrue(message(new byte[5]).contains("too short"));
        byte[] huge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L).array();
        assertTrue(message(huge).contains("exceeds the limit"));
        byte[] past = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(100).array();
        assertTrue(message(past).contains("runs past the end"), message(past));
    }

    @Test
    void rejectsMalformedHeaders() {
        assertTrue(message(image("{\"a\":", 0)).contains("not valid JSON"));
        assertTrue(message(image("[1,2]", 0)).contains("not a JSON object"));
        byte[] latin1 = image("{\"x\":1}", 0);
        latin1[10] = (byte) 0xFF;
        assertTrue(message(latin1).contains("UTF-8"));
        assertTrue(message(image("{\"__metadata__\":{\"k\":1}}", 0)).contains("not a string"));
        assertTrue(message(image("{\"t\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4)).contains("missing dtype"));
        assertTrue(message(image("{\"t\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4))
                .contains("not a non-negative integer"));
        assertTrue(message(image("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4))
                .contains("data_offsets is not an array of 2 integers"));
    }

    @Test
    void rejectsUnknownDtype() {
        String m = message(image("{\"t\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,1]}}", 1));
        assertTrue(m.contains("unknown dtype 'Q4'"), m);
        assertTrue(m.startsWith("t.safetensors: "), m);
    }

    @Test
    void rejectsLengthsThatDisagreeWithShape() {
        String m = message(image("{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8));
        assertTrue(m.contains("span 8 bytes but F32 [3] needs 12"), m);
        assertTrue(message(image("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8))
                .contains("end before they begin"));
        assertTrue(message(image("{\"t\":{\"dtype\":\"F64\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", 8))
                .contains("overflows"));
    }

    @Test
    void rejectsOffsetsOutsideTheFile() {
        String m = message(image("{\"t\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8));
        assertTrue(m.contains("outside the 8 data bytes"), m);
    }

    @Test
    void rejectsOverlapsGapsAndTrailingBytes() {
        String overlap = message(image("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12));
        assertTrue(overlap.contains("'b' overlaps tensor 'a'"), overlap);
        String gap = message(image("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8));
        assertTrue(gap.contains("gap of 4 unused bytes"), gap);
        String trailing = message(image("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 6));
        assertTrue(trailing.contains("2 bytes after the last tensor"), trailing);
    }

    @Test
    void rejectsMissingTensorAndNonFloatConversion() {
        Safetensors st = Safetensors.parse(image("{\"i\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "m");
        assertTrue(assertThrows(SafetensorsFormatException.class, () -> st.tensor("nope")).getMessage()
                .contains("no tensor named 'nope'"));
        assertThrows(SafetensorsFormatException.class, () -> st.tensor("i").toFloats());
    }

    @Test
    void writerRejectsInconsistentTensors() {
        SafetensorsWriter w = new SafetensorsWriter().add("a", SafetensorsDtype.U8, new long[] {1}, new byte[1]);
        assertThrows(IllegalArgumentException.class, () -> w.add("a", SafetensorsDtype.U8, new long[] {1}, new byte[1]));
        assertThrows(IllegalArgumentException.class, () -> w.add("b", SafetensorsDtype.F32, new long[] {2}, new byte[4]));
        assertThrows(IllegalArgumentException.class, () -> w.add("__metadata__", SafetensorsDtype.U8, new long[] {0}, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> w.add("c", SafetensorsDtype.U8, new long[] {-1}, new byte[0]));
        assertEquals(List.of("a"), List.copyOf(Safetensors.parse(w.toBytes(), "w").tensors().keySet()));
    }
}
