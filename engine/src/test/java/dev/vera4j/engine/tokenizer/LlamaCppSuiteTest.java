package dev.vera4j.engine.tokenizer;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * llama.cpp's own tokenizer test vectors (tests/test-tokenizer-0 with models/ggml-vocab-*.gguf): every text must give
 * exactly the ids llama.cpp gives, without BOS/EOS and without parsing special tokens.
 */
class LlamaCppSuiteTest {
    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "phi-3", "gpt-2", "llama-bpe"})
    void encodesEveryCaseLikeLlamaCpp(String suite) {
        Tokenizer tok = VocabSuites.tokenizer(suite);
        List<VocabSuites.Case> cases = VocabSuites.cases(suite);
        assertTrue(cases.size() > 30, "suite " + suite + " has only " + cases.size() + " cases");
        List<String> failures = new ArrayList<>();
        for (VocabSuites.Case c : cases) {
            int[] got = tok.encode(c.text(), false, false);
            if (!Arrays.equals(c.ids(), got)) {
                failures.add("case " + c.index() + " '" + c.text().replace("\n", "\\n") + "': expected "
                        + Arrays.toString(c.ids()) + " got " + Arrays.toString(got));
            }
        }
        assertEquals(List.of(), failures, suite + ": " + failures.size() + " of " + cases.size() + " cases differ");
    }
}
