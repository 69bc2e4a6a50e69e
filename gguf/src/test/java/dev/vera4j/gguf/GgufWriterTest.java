package dev.vera4j.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.*;

class GgufWriterTest {
    static final Path SHARED = Path.of(System.getProperty("vera4j.shared", "../shared"));

    @TempDir Path tmp;

    static String sha256(Path p) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(Files.readAllBytes(p));
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"models/stories260K.gguf", "testdata/quant/quant-vectors.gguf",
            "testdata/tokenizer/ggml-vocab-llama-spm.gguf", "testdata/tokenizer/ggml-vocab-gpt-2.gguf",
            "testdata/tokenizer/ggml-vocab-llama-bpe.gguf", "testdata/tokenizer/ggml-vocab-phi-3.gguf"})
    void copyReproducesTheSameBytes(String name) throws IOException {
        Path in = SHARED.resolve(name);
        Path out = tmp.resolve("copy.gguf");
        try (GgufFile f = GgufFile.open(in)) {
            GgufWriter.copyOf(f).write(out);
        }
        assertEquals(Files.size(in), Files.size(out));
        assertEquals(sha256(in), sha256(out), name);
    }

    @Test
    void everyValueTypeRoundTrips() throws IOException {
        GgufWriter w = new GgufWriter()
                .put("u8", GgufValue.ofUInt8(255)).put("i8", GgufValue.ofInt8(-128))
                .put("u16", GgufValue.ofUInt16(65535)).put("i16", GgufValue.ofInt16(-32768))
                .put("u32", GgufValue.ofUInt32(0xFFFFFFFFL)).put("i32", GgufValue.ofInt32(Integer.MIN_VALUE))
                .put("u64", GgufValue.ofUInt64(-1L)).put("i64", GgufValue.ofInt64(Long.MIN_VALUE))
                .put("f32", GgufValue.ofFloat32(1e-5f)).put("f64", GgufValue.ofFloat64(Math.PI))
                .put("t", GgufValue.ofBool(true)).put("f", GgufValue.ofBool(false))
                .put("s", GgufValue.ofString("héllo ✓ \u0000 end")).put("empty", GgufValue.ofString(""))
                .put("a.u8", GgufValue.ofArray(new GgufArray(GgufValueType.UINT8, new byte[]{0, 1, (byte) 255})))
                .put("a.i16", GgufValue.ofArray(new GgufArray(GgufValueType.INT16, new short[]{-1, 2})))
                .put("a.u32", GgufValue.ofArray(new GgufArray(GgufValueType.UINT32, new int[]{-1, 7})))
                .put("a.i64", GgufValue.ofArray(new GgufArray(GgufValueType.INT64, new long[]{Long.MAX_VALUE, -3})))
                .put("a.f32", GgufValue.ofArray(GgufArray.ofFloat32(1.5f, Float.NaN, -0f)))
                .put("a.f64", GgufValue.ofArray(new GgufArray(GgufValueType.FLOAT64, new double[]{2.25})))
                .put("a.bool", GgufValue.ofArray(new GgufArray(GgufValueType.BOOL, new byte[]{1, 0})))
                .put("a.str", GgufValue.ofArray(GgufArray.ofStrings("a", "", "ü")))
                .put("a.empty", GgufValue.ofArray(GgufArray.ofInt32()))
                .put("a.nested", GgufValue.ofArray(GgufArray.ofArrays(GgufArray.ofInt32(1, 2),
                        GgufArray.ofArrays(GgufArray.ofStrings("deep")), GgufArray.ofFloat32())));
        Path p = tmp.resolve("values.gguf");
        w.write(p);
        try (GgufFile f = GgufFile.open(p)) {
            GgufMetadata m = f.metadata();
            assertEquals(255, m.getInt("u8"));
            assertEquals(-128, m.getInt("i8"));
            assertEquals(65535, m.getInt("u16"));
            assertEquals(-32768, m.getInt("i16"));
            assertEquals(0xFFFFFFFFL, m.getLong("u32"));
            assertEquals(Integer.MIN_VALUE, m.getInt("i32"));
            assertEquals(-1L, m.getLong("u64"));
            assertEquals(Long.MIN_VALUE, m.getLong("i64"));
            assertEquals(1e-5f, m.getFloat("f32"));
            assertEquals(Math.PI, m.getDouble("f64"));
            assertTrue(m.getBoolean("t"));
            assertFalse(m.getBoolean("f"));
            assertEquals("héllo ✓ \u0000 end", m.getString("s"));
            assertEquals("", m.getString("empty"));
            assertArrayEquals(new String[]{"a", "", "ü"}, m.getStringArray("a.str"));
            assertArrayEquals(new int[]{-1, 7}, m.getIntArray("a.u32"));
            assertEquals(0xFFFFFFFFL, m.getArray("a.u32").getLong(0));
            assertEquals(255, m.getArray("a.u8").getLong(2));
            assertEquals(-1, m.getArray("a.i16").getLong(0));
            assertEquals(0, m.getIntArray("a.empty").length);
            assertEquals(Float.floatToRawIntBits(Float.NaN), Float.floatToRawIntBits(m.getFloatArray("a.f32")[1]));
            GgufArray nested = m.getArray("a.nested");
            assertEquals(GgufValueType.ARRAY, nested.elementType());
            GgufArray[] inner = (GgufArray[]) nested.elements();
            assertEquals(GgufArray.ofInt32(1, 2), inner[0]);
            assertEquals("deep", ((String[]) ((GgufArray[]) inner[1].elements())[0].elements())[0]);
            // every value compares equal to what was put
            assertEquals(w.metadata().asMap(), m.asMap());
        }
        Path again = tmp.resolve("again.gguf");
        try (GgufFile f = GgufFile.open(p)) {
            GgufWriter.copyOf(f).write(again);
        }
        assertEquals(sha256(p), sha256(again));
    }

    @Test
    void version2IsReadAndWritten() throws IOException {
        Path p = tmp.resolve("v2.gguf");
        new GgufWriter().version(2).put("k", GgufValue.ofUInt32(3))
                .addTensor("t", GgmlType.F32, new long[]{4}, MemorySegment.ofArray(new float[]{1, 2, 3, 4})).write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(2, f.version());
            assertEquals(3, f.metadata().getInt("k"));
            assertEquals(3f, f.tensor("t").data().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2));
        }
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().version(1));
    }

    @Test
    void tensorsAreAlignedAndPaddedWithZeros() throws IOException {
        Path p = tmp.resolve("aligned.gguf");
        byte[] a = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};   // 5 F16 values: 10 bytes, padded to 64
        byte[] b = new byte[34];                        // one Q8_0 block
        b[0] = 42;
        new GgufWriter().alignment(64)
                .addTensor("a", GgmlType.F16, new long[]{5}, MemorySegment.ofArray(a))
                .addTensor("b", GgmlType.Q8_0, new long[]{32, 1}, MemorySegment.ofArray(b))
                .write(p);
        byte[] file = Files.readAllBytes(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(64, f.parts().getFirst().alignment());
            assertEquals(64L, f.metadata().getLong("general.alignment"));
            long data = f.parts().getFirst().dataOffset();
            assertEquals(0, data % 64);
            assertEquals(0, f.tensor("a").offset());
            assertEquals(64, f.tensor("b").offset());
            assertEquals(42, f.tensor("b").data().get(ValueLayout.JAVA_BYTE, 0));
            for (long i = data + 10; i < data + 64; i++) assertEquals(0, file[(int) i], "padding byte " + i);
            assertEquals(data + 128, file.length);       // last tensor padded as well
        }
    }

    @Test
    void defaultAlignmentAddsNoKeyAndPutOfTheKeyChangesAlignment() throws IOException {
        Path p = tmp.resolve("a.gguf");
        new GgufWriter().alignment(32).write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertFalse(f.metadata().has("general.alignment"));
            assertEquals(0, Files.size(p) % 32);
        }
        new GgufWriter().put("general.alignment", GgufValue.ofUInt32(16))
                .addTensor("t", GgmlType.I8, new long[]{3}, MemorySegment.ofArray(new byte[3])).write(p);
        assertEquals(0, Files.size(p) % 16);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(16, f.parts().getFirst().alignment());
        }
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().alignment(24));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().put("general.alignment", GgufValue.ofString("x")));
    }

    @Test
    void tensorSourceStreamsAndIsCounted() throws IOException {
        Path p = tmp.resolve("stream.gguf");
        int n = 1 << 18; // 1 MiB of F32, written in 4 KiB chunks
        TensorSource ramp = out -> {
            ByteBuffer chunk = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                chunk.putFloat(i);
                if (!chunk.hasRemaining()) {
                    chunk.flip();
                    while (chunk.hasRemaining()) out.write(chunk);
                    chunk.clear();
                }
            }
        };
        new GgufWriter().addTensor("ramp", GgmlType.F32, new long[]{1024, n / 1024}, ramp).write(p);
        try (GgufFile f = GgufFile.open(p)) {
            MemorySegment d = f.tensor("ramp").data();
            ValueLayout.OfFloat le = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            assertEquals(0f, d.getAtIndex(le, 0));
            assertEquals(n - 1f, d.getAtIndex(le, n - 1));
            assertTrue(d.isReadOnly(), "tensor views must be read-only");
        }
    }

    @Test
    void largeNativeAndHeapSegmentsAreWrittenInChunks() throws IOException {
        int n = (5 << 20) / 2 + 3 * 32;   // just over 2.5 MiB of I16 values, ending mid-chunk
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nat = arena.allocate(2L * n);
            short[] heap = new short[n];
            for (int i = 0; i < n; i++) {
                nat.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, (short) (i * 7));
                heap[i] = (short) (i * 13);
            }
            Path p = tmp.resolve("big.gguf");
            new GgufWriter().addTensor("native", GgmlType.I16, new long[]{n}, nat)
                    .addTensor("heap", GgmlType.I16, new long[]{n}, MemorySegment.ofArray(heap)).write(p);
            try (GgufFile f = GgufFile.open(p)) {
                assertEquals(-1, f.tensor("native").data().mismatch(nat));
                ValueLayout.OfShort le = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
                MemorySegment h = f.tensor("heap").data();
                for (int i = 0; i < n; i += 4099) assertEquals(heap[i], h.getAtIndex(le, i), "element " + i);
                assertEquals(heap[n - 1], h.getAtIndex(le, n - 1));
            }
            Path blocks = tmp.resolve("big-in-blocks.gguf");
            new GgufWriter().addTensor("native", GgmlType.I16, new long[]{n}, nat)
                    .addTensor("heap", GgmlType.I16, new long[]{n}, MemorySegment.ofArray(heap)).inWholeBlocks(true).write(blocks);
            assertEquals(-1, Files.mismatch(p, blocks), "the same bytes, written in whole 2 MiB blocks");
        }
    }

    @Test
    void failedWriteLeavesNoTempFileAndKeepsTheOldTarget() throws IOException {
        Path p = tmp.resolve("keep.gguf");
        Files.writeString(p, "old");
        TensorSource shortSource = out -> out.write(ByteBuffer.allocate(8));
        IOException e = assertThrows(IOException.class, () -> new GgufWriter()
                .addTensor("t", GgmlType.F32, new long[]{4}, shortSource).write(p));
        assertTrue(e.getMessage().contains("tensor 't'") && e.getMessage().contains("expected 16"), e.getMessage());
        TensorSource longSource = out -> out.write(ByteBuffer.allocate(20));
        assertThrows(IOException.class, () -> new GgufWriter().addTensor("t", GgmlType.F32, new long[]{4}, longSource).write(p));
        TensorSource failing = out -> { throw new IllegalStateException("boom"); };
        assertThrows(IllegalStateException.class, () -> new GgufWriter().addTensor("t", GgmlType.F32, new long[]{4}, failing).write(p));
        assertEquals("old", Files.readString(p));
        try (var files = Files.list(tmp)) {
            assertEquals(1, files.count(), "only the old target remains");
        }
    }

    @Test
    void badTensorsAreRefusedWhenAdded() {
        GgufWriter w = new GgufWriter().addTensor("t", GgmlType.F32, new long[]{1}, MemorySegment.ofArray(new float[1]));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.F32, new long[]{1}, MemorySegment.ofArray(new float[1])));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("u", GgmlType.F32, new long[]{2}, MemorySegment.ofArray(new float[1])));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("q", GgmlType.Q4_0, new long[]{16}, MemorySegment.ofArray(new byte[9])));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("r", GgmlType.F32, new long[]{1, 1, 1, 1, 1}, MemorySegment.ofArray(new float[1])));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("o", GgmlType.F32, new long[]{1L << 40, 1L << 40}, out -> {}));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("n", GgmlType.F32, new long[]{-1}, out -> {}));
    }

    @Test
    void valuesAreCheckedAgainstTheirType() {
        assertThrows(IllegalArgumentException.class, () -> new GgufValue(GgufValueType.UINT8, 256L));
        assertThrows(IllegalArgumentException.class, () -> new GgufValue(GgufValueType.INT32, "7"));
        assertThrows(IllegalArgumentException.class, () -> new GgufValue(GgufValueType.FLOAT32, 1.0));
        assertThrows(IllegalArgumentException.class, () -> new GgufArray(GgufValueType.INT32, new long[1]));
        assertThrows(IllegalArgumentException.class, () -> new GgufArray(GgufValueType.BOOL, new byte[]{2}));
        assertThrows(IllegalArgumentException.class, () -> GgufArray.ofStrings("a", null));
        assertEquals(5L, new GgufValue(GgufValueType.INT16, 5).value());
    }
}
