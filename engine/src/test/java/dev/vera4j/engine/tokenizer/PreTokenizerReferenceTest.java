package dev.vera4j.engine.tokenizer;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hand-written pre-tokenizer scanners against the regexes llama.cpp runs, evaluated by Python's backtracking
 * regex engine over llama.cpp's category-collapsed text ({@code pretokenizer_reference.py}, output committed as
 * {@code pretokenizer_reference.txt}): the same word boundaries for every pre-tokenizer family and every case.
 */
class PreTokenizerReferenceTest {
    @Test
    void scannersCutLikeTheRegexes() throws IOException {
        String data;
        try (InputStream in = getClass().getResourceAsStream("/tokenizer/pretokenizer_reference.txt")) {
            assertNotNull(in, "pretokenizer_reference.txt is missing");
            data = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<String> failures = new ArrayList<>();
        int cases = 0;
        IntList words = new IntList(16), scratch = new IntList(16);
        for (String line : data.split("\n")) {
            String[] f = line.split("\t", -1);
            String text = new String(HexFormat.of().parseHex(f[1]), StandardCharsets.UTF_8);
            int[] cps = text.codePoints().toArray();
            PreTokenizer.named(f[0]).split(cps, cps.length, words, scratch);
            StringBuilder got = new StringBuilder();
            for (int i = 0; i < words.size(); i++) got.append(i == 0 ? "" : ",").append(words.get(i));
            if (!got.toString().equals(f[2])) {
                failures.add(f[0] + " '" + text.replace("\n", "\\n") + "': expected " + f[2] + " got " + got);
            }
            cases++;
        }
        assertTrue(cases > 1000, "only " + cases + " cases");
        assertEquals(List.of(), failures, failures.size() + " of " + cases + " splits differ");
    }
}
