package dev.vera4j.gguf;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class GgufMetadataTest {
    private static final Path MODEL = Path.of(System.getProperty("vera4j.shared", "../shared")).resolve("models/stories260K.gguf");

    private static GgufMetadata sample() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("n", GgufValue.ofUInt32(7));
        m.put("big", GgufValue.ofUInt64(1L << 40));
        m.put("x", GgufValue.ofFloat32(0.5f));
        m.put("s", GgufValue.ofString("hi"));
        m.put("b", GgufValue.ofBool(true));
        m.put("toks", GgufValue.ofArray(GgufArray.ofStrings("a", "b")));
        m.put("u8s", GgufValue.ofArray(new GgufArray(GgufValueType.UINT8, new byte[]{(byte) 200})));
        return new GgufMetadata(m);
    }

    @Test
    void typedAccessors() {
        GgufMetadata m = sample();
        assertEquals(7, m.getInt("n"));
        assertEquals(1L << 40, m.getLong("big"));
        assertEquals(7.0, m.getDouble("n"));
        assertEquals(0.5f, m.getFloat("x"));
        assertEquals("hi", m.getString("s"));
        assertTrue(m.getBoolean("b"));
        assertArrayEquals(new String[]{"a", "b"}, m.getStringArray("toks"));
        assertArrayEquals(new int[]{200}, m.getIntArray("u8s"));
        assertEquals(9, m.getIntOr("missing", 9));
        assertEquals("d", m.getStringOr("missing", "d"));
        assertEquals(7, m.getIntOr("n", 9));
    }

    @Test
    void missingKeyAndWrongTypeHaveClearMessages() {
        GgufMetadata m = sample();
        assertEquals("metadata key 'nope' is missing", assertThrows(GgufKeyException.class, () -> m.getInt("nope")).getMessage());
        assertEquals("metadata key 's' is string, expected an integer", assertThrows(GgufKeyException.class, () -> m.getInt("s")).getMessage());
        assertEquals("metadata key 'n' is uint32, expected a string", assertThrows(GgufKeyException.class, () -> m.getString("n")).getMessage());
        assertEquals("metadata key 'big' = 1099511627776 does not fit in an int", assertThrows(GgufKeyException.class, () -> m.getInt("big")).getMessage());
        assertEquals("metadata key 'toks' is an array of string, expected float32 values",
                assertThrows(GgufKeyException.class, () -> m.getFloatArray("toks")).getMessage());
        assertEquals("metadata key 'x' is float32, expected a bool", assertThrows(GgufKeyException.class, () -> m.getBoolean("x")).getMessage());
        assertThrows(GgufKeyException.class, () -> m.getIntOr("s", 1), "a present key of the wrong type is an error, not the fallback");
    }

    @Test
    void stories260KMetadataAndTensors() {
        try (GgufFile f = GgufFile.open(MODEL)) {
            GgufMetadata m = f.metadata();
            assertEquals(3, f.version());
            assertEquals("llama", m.getString("general.architecture"));
            assertEquals(5, m.getInt("llama.block_count"));
            assertEquals(8, m.getInt("llama.attention.head_count"));
            assertEquals(4, m.getInt("llama.attention.head_count_kv"));
            assertEquals(512, m.getStringArray("tokenizer.ggml.tokens").length);
            assertEquals(48, f.tensors().size());
            GgufTensor emb = f.tensor("token_embd.weight");
            assertEquals(GgmlType.F32, emb.type());
            assertArrayEquals(new long[]{64, 512}, emb.shape());
            assertEquals(64 * 512 * 4, emb.byteSize());
            assertTrue(emb.data().isNative(), "tensor data is a view of the mapping, not a heap copy");
            assertTrue(emb.data().isReadOnly());
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> f.tensor("nope"));
            assertTrue(e.getMessage().contains("tensor 'nope' is missing"), e.getMessage());
        }
    }
}
