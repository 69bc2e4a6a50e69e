package dev.vera4j.engine.model;

import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufMetadata;
import dev.vera4j.gguf.GgufValue;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ModelConfigTest {
    static Map<String, GgufValue> llama() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("llama"));
        m.put("llama.vocab_size", GgufValue.ofUInt32(1000));
        m.put("llama.context_length", GgufValue.ofUInt32(4096));
        m.put("llama.embedding_length", GgufValue.ofUInt32(256));
        m.put("llama.block_count", GgufValue.ofUInt32(4));
        m.put("llama.feed_forward_length", GgufValue.ofUInt32(512));
        m.put("llama.attention.head_count", GgufValue.ofUInt32(8));
        m.put("llama.attention.head_count_kv", GgufValue.ofUInt32(2));
        m.put("llama.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(1e-5f));
        return m;
    }

    static ModelConfig config(Map<String, GgufValue> m) { return ModelConfig.fromMetadata(new GgufMetadata(m)); }

    static String error(Map<String, GgufValue> m) { return assertThrows(ModelConfigException.class, () -> config(m)).getMessage(); }

    @Test
    void readsStories260K() {
        try (GgufFile f = GgufFile.open(ReferenceData.stories())) {
            ModelConfig c = ModelConfig.fromMetadata(f.metadata());
            assertEquals("llama", c.architecture());
            assertEquals(512, c.vocabSize());
            assertEquals(64, c.dim());
            assertEquals(5, c.blockCount());
            assertEquals(172, c.feedForwardLength());
            assertEquals(8, c.headCount());
            assertEquals(4, c.headCountKv());
            assertEquals(8, c.headDim());
            assertEquals(8, c.ropeDim());
            assertEquals(10000f, c.ropeBase());
            assertEquals(RopeType.NORM, c.ropeType());
            assertEquals(RopeScaling.NONE, c.ropeScaling());
            assertEquals(1e-5f, c.rmsEps());
            assertFalse(c.qkvBias() || c.qkNorm());
        }
    }

    @Test
    void defaultsAndDerivedValues() {
        ModelConfig c = config(llama());
        assertEquals(32, c.headDim());
        assertEquals(64, c.kvDim());
        assertEquals(4, c.groupSize());
        assertEquals(32, c.ropeDim());
        assertEquals(10000f, c.ropeBase());
        assertEquals(1f, c.ropeFreqScale());
    }

    @Test
    void missingKeyIsNamed() {
        var m = llama();
        m.remove("llama.block_count");
        assertTrue(error(m).contains("llama.block_count"), error(m));
        m = llama();
        m.remove("llama.vocab_size");
        assertTrue(error(m).contains("llama.vocab_size"));
        m = llama();
        m.put("llama.embedding_length", GgufValue.ofString("wide"));
        assertTrue(error(m).contains("llama.embedding_length"));
    }

    @Test
    void inconsistentValuesAreNamed() {
        var m = llama();
        m.put("llama.attention.head_count_kv", GgufValue.ofUInt32(3));
        assertTrue(error(m).contains("head_count_kv"), error(m));
        m = llama();
        m.put("llama.embedding_length", GgufValue.ofUInt32(250));
        assertTrue(error(m).contains("not a multiple"), error(m));
        m = llama();
        m.put("llama.rope.dimension_count", GgufValue.ofUInt32(64));
        assertTrue(error(m).contains("rope.dimension_count"), error(m));
        m = llama();
        m.put("llama.attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(0));
        assertTrue(error(m).contains("layer_norm_rms_epsilon"), error(m));
        m = llama();
        m.put("llama.attention.value_length", GgufValue.ofUInt32(16));
        assertTrue(error(m).contains("value_length"), error(m));
    }

    @Test
    void architectures() {
        var m = llama();
        m.put("general.architecture", GgufValue.ofString("gpt2"));
        assertTrue(error(m).contains("'gpt2' is not supported"), error(m));
        for (String arch : new String[] {"mistral", "qwen2", "qwen3"}) {
            Map<String, GgufValue> q = new LinkedHashMap<>();
            llama().forEach((k, v) -> q.put(k.replace("llama.", arch + "."), v));
            q.put("general.architecture", GgufValue.ofString(arch));
            ModelConfig c = config(q);
            assertEquals(arch.startsWith("qwen") ? RopeType.NEOX : RopeType.NORM, c.ropeType());
            assertEquals(arch.equals("qwen2"), c.qkvBias());
            assertEquals(arch.equals("qwen3"), c.qkNorm());
        }
    }

    @Test
    void ropeScaling() {
        var m = llama();
        m.put("llama.rope.scaling.type", GgufValue.ofString("linear"));
        m.put("llama.rope.scaling.factor", GgufValue.ofFloat32(4));
        assertEquals(0.25f, config(m).ropeFreqScale());
        m.put("llama.rope.scaling.type", GgufValue.ofString("llama3"));
        m.put("llama.rope.scaling.factor", GgufValue.ofFloat32(8));
        m.put("llama.rope.scaling.original_context_length", GgufValue.ofUInt32(8192));
        ModelConfig c = config(m);
        assertEquals(RopeScaling.Type.LLAMA3, c.ropeScaling().type());
        assertEquals(1f, c.ropeFreqScale());
        m.put("llama.rope.scaling.type", GgufValue.ofString("yarn"));
        assertTrue(error(m).contains("llama.rope.scaling.type 'yarn'"), error(m));
    }
}
