package dev.vera4j.tools.hub;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class QuantPickerTest {
    private static List<HubFile> files(String... paths) {
        return java.util.Arrays.stream(paths).map(p -> new HubFile(p, 1, null, null)).toList();
    }

    private static List<String> pick(String ref, String... paths) {
        return QuantPicker.pick(files(paths), HubRef.parse(ref)).stream().map(HubFile::path).toList();
    }

    @Test
    void matchesTheTagAsAWord() {
        assertTrue(QuantPicker.hasQuant("Llama-3.2-1B-Instruct-Q4_K_M.gguf", "q4_k_m"));
        assertTrue(QuantPicker.hasQuant("Q4_K_M/model.Q4_K_M-00001-of-00002.gguf", "Q4_K_M"));
        assertFalse(QuantPicker.hasQuant("model-IQ4_K_M.gguf", "Q4_K_M"));
        assertFalse(QuantPicker.hasQuant("model-Q4_K_M.gguf", "Q4_K"));
    }

    @Test
    void picksTheQuantTheOnlyModelOrADefault() {
        assertEquals(List.of("m-Q8_0.gguf"), pick("o/m:Q8_0", "m-Q4_0.gguf", "m-Q8_0.gguf", "README.md"));
        assertEquals(List.of("m-F16.gguf"), pick("o/m", "m-F16.gguf", "mmproj-m-F16.gguf"));
        assertEquals(List.of("m-Q4_K_M.gguf"), pick("o/m", "m-Q2_K.gguf", "m-Q4_K_M.gguf", "m-Q8_0.gguf"));
        assertEquals(List.of("m-Q2_K.gguf"), pick("o/m/m-Q2_K.gguf", "m-Q2_K.gguf", "m-Q4_K_M.gguf"));
    }

    @Test
    void aSplitModelIsAllItsPartsInOrder() {
        assertEquals(List.of("m-Q8_0-00001-of-00003.gguf", "m-Q8_0-00002-of-00003.gguf", "m-Q8_0-00003-of-00003.gguf"),
                pick("o/m:Q8_0", "m-Q8_0-00003-of-00003.gguf", "m-Q8_0-00001-of-00003.gguf", "m-Q8_0-00002-of-00003.gguf", "m-Q4_0.gguf"));
        assertEquals(2, pick("o/m/m-Q8_0-00002-of-00002.gguf", "m-Q8_0-00002-of-00002.gguf", "m-Q8_0-00001-of-00002.gguf").size());
        HubException e = assertThrows(HubException.class, () -> pick("o/m:Q8_0", "m-Q8_0-00001-of-00003.gguf", "m-Q8_0-00003-of-00003.gguf"));
        assertEquals("o/m: m-Q8_0-00001-of-00003.gguf is one of 3 parts but the repository has 2", e.getMessage());
    }

    @Test
    void ambiguityAndAbsenceAreErrorsThatListTheModels() {
        HubException several = assertThrows(HubException.class, () -> pick("o/m:Q4_0", "a-Q4_0.gguf", "b-Q4_0.gguf"));
        assertEquals("o/m:Q4_0 matches several models; name one with o/m/FILE.gguf: a-Q4_0.gguf, b-Q4_0.gguf", several.getMessage());
        HubException none = assertThrows(HubException.class, () -> pick("o/m", "a-Q2_K.gguf", "a-Q3_K_S.gguf"));
        assertTrue(none.getMessage().startsWith("o/m holds several models; name one with :QUANT or /FILE.gguf"), none.getMessage());
        assertEquals("o/m has no .gguf files", assertThrows(HubException.class, () -> pick("o/m", "README.md")).getMessage());
    }

    @Test
    void parsesReferences() {
        assertEquals(new HubRef("o/m", "Q4_0", null), HubRef.parse("hf:o/m:Q4_0"));
        assertEquals(new HubRef("o/m", null, "sub/x.gguf"), HubRef.parse("o/m/sub/x.gguf"));
        assertThrows(IllegalArgumentException.class, () -> HubRef.parse("justaname"));
        assertThrows(IllegalArgumentException.class, () -> HubRef.parse("o/m/../../etc/passwd"));
        assertThrows(IllegalArgumentException.class, () -> HubRef.parse("o/m:Q4 0"));
    }
}
