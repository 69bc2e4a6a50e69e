package dev.vera4j.engine.tokenizer;

import dev.vera4j.gguf.GgufArray;
import dev.vera4j.gguf.GgufMetadata;
import dev.vera4j.gguf.GgufValue;
import dev.vera4j.gguf.GgufValueType;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad vocabularies and bad ids fail with one clear message; a small hand-made vocabulary shows the algorithms. */
class TokenizerErrorsTest {
    private static Map<String, GgufValue> bpeVocab(String pre) {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("tokenizer.ggml.model", GgufValue.ofString("gpt2"));
        if (pre != null) m.put("tokenizer.ggml.pre", GgufValue.ofString(pre));
        m.put("tokenizer.ggml.tokens", GgufValue.ofArray(new GgufArray(GgufValueType.STRING,
                new String[] {"a", "b", "ab", "Ġ", "Ġab", "c"})));
        m.put("tokenizer.ggml.merges", GgufValue.ofArray(new GgufArray(GgufValueType.STRING,
                new String[] {"a b", "Ġ ab"})));
        return m;
    }

    private static String message(Map<String, GgufValue> m) {
        return assertThrows(TokenizerException.class, () -> Tokenizers.fromMetadata(new GgufMetadata(m))).getMessage();
    }

    @Test
    void unknownPreTokenizerIsNamed() {
        assertTrue(message(bpeVocab("no-such-pre")).contains("'no-such-pre'"));
    }

    @Test
    void unsupportedModelAndMissingKeysAreNamed() {
        Map<String, GgufValue> m = bpeVocab("gpt-2");
        m.put("tokenizer.ggml.model", GgufValue.ofString("bert"));
        assertTrue(message(m).contains("'bert'"));
        m = bpeVocab("gpt-2");
        m.remove("tokenizer.ggml.merges");
        assertTrue(message(m).contains("tokenizer.ggml.merges"));
        m = bpeVocab("gpt-2");
        m.remove("tokenizer.ggml.tokens");
        assertTrue(message(m).contains("tokenizer.ggml.tokens"));
        assertTrue(message(new LinkedHashMap<>()).contains("tokenizer.ggml.model"));
        m = bpeVocab("gpt-2");
        m.put("tokenizer.ggml.tokens", GgufValue.ofArray(new GgufArray(GgufValueType.STRING, new String[] {"a", "a"})));
        assertTrue(message(m).contains("same text"));
    }

    @Test
    void smallByteLevelVocabularyMergesByRank() {
        Tokenizer t = Tokenizers.fromMetadata(new GgufMetadata(bpeVocab("gpt-2")));
        assertArrayEquals(new int[] {2, 4, 5}, t.encode("ab abc", false, false));
        assertEquals("ab abc", t.decode(new int[] {2, 4, 5}));
        // 'd' is not in the vocabulary and has no byte token: llama.cpp drops it, and so do we
        assertArrayEquals(new int[] {0}, t.encode("ad", false, false));
        // a missing pre key means llama.cpp's "default" pre-tokenizer
        assertArrayEquals(new int[] {2, 4, 5}, Tokenizers.fromMetadata(new GgufMetadata(bpeVocab(null))).encode("ab abc", false, false));
    }

    @Test
    void badIdsAreRejected() {
        Tokenizer t = VocabSuites.tokenizer("llama-spm");
        assertTrue(assertThrows(TokenizerException.class, () -> t.decode(new int[] {5, 32000})).getMessage().contains("32000"));
        assertThrows(TokenizerException.class, () -> t.piece(-1));
        assertThrows(TokenizerException.class, () -> t.streamingDecoder().accept(1 << 20));
    }
}
