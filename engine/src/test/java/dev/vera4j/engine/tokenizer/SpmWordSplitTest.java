package dev.vera4j.engine.tokenizer;

import dev.vera4j.gguf.GgufFile;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The word-by-word SPM fast path gives exactly the ids of llama.cpp's whole-text algorithm (the reference). */
class SpmWordSplitTest {
    @Test
    void wordByWordEqualsWholeText() {
        for (String suite : new String[] {"llama-spm", "phi-3"}) {
            Vocab vocab;
            try (GgufFile f = GgufFile.open(VocabSuites.DIR.resolve("ggml-vocab-" + suite + ".gguf"))) {
                vocab = Vocab.fromMetadata(f.metadata());
            }
            assertTrue(vocab.spaceMarkLeadsOnly, suite + " should allow the fast path");
            SpmEncoder encoder = new SpmEncoder(vocab);
            SplittableRandom rnd = new SplittableRandom(99);
            for (int round = 0; round < 300; round++) {
                byte[] raw = Utf8.encode(RandomTextTest.randomText(rnd, rnd.nextInt(1, 3000)));
                byte[] text = SpmEncoder.escape(raw, 0, raw.length, rnd.nextBoolean());
                IntList fast = new IntList(16), whole = new IntList(16);
                encoder.encode(text, fast);
                encoder.encodeWhole(text, 0, text.length, whole);
                assertArrayEquals(whole.toArray(), fast.toArray(), suite + " round " + round);
            }
        }
    }
}
