package dev.vera4j.engine.tokenizer;

import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufMetadata;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Llama 3's merge ranks are built at the first word that needs them, once, whichever threads ask first. */
class BpeMergesTest {
    private static GgufMetadata llama3() {
        try (GgufFile f = GgufFile.open(VocabSuites.DIR.resolve("ggml-vocab-llama-bpe.gguf"))) {
            return f.metadata();
        }
    }

    @Test
    void wholeTokenWordsNeedNoRanks() {
        GgufMetadata meta = llama3();
        Vocab vocab = Vocab.fromMetadata(meta);
        BpeMerges merges = BpeMerges.build(vocab.texts, meta.getStringArray("tokenizer.ggml.merges"));
        LlamaTokenizer tok = new LlamaTokenizer(vocab, merges);
        int[] ids = tok.encode("Once upon a time there was", false, false);
        assertEquals(6, ids.length, Arrays.toString(ids));
        assertFalse(merges.ranksBuilt(), "every word of the text is a token");
        byte[] word = " zxqvbnmp".getBytes(StandardCharsets.UTF_8);
        assertFalse(merges.isToken(merges.stringId(word, 0, word.length)));
        assertTrue(merges.ranksBuilt(), "a word that is not a token needs them");
        assertTrue(tok.encode(" zxqvbnmp", false, false).length > 1);
    }

    @Test
    void threadsThatNeedTheRanksAtOnceGetTheSuite() throws Exception {
        GgufMetadata meta = llama3();
        Vocab vocab = Vocab.fromMetadata(meta);
        BpeMerges merges = BpeMerges.build(vocab.texts, meta.getStringArray("tokenizer.ggml.merges"));
        LlamaTokenizer tok = new LlamaTokenizer(vocab, merges);
        List<VocabSuites.Case> cases = VocabSuites.cases("llama-bpe");
        int threads = 6;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<List<String>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                results.add(pool.submit(() -> {
                    start.await();
                    List<String> failures = new ArrayList<>();
                    for (int i = 0; i < cases.size(); i++) {
                        VocabSuites.Case c = cases.get((i + first * 7) % cases.size());   // each thread starts elsewhere
                        if (!Arrays.equals(c.ids(), tok.encode(c.text(), false, false))) failures.add("case " + c.index());
                    }
                    return failures;
                }));
            }
            assertFalse(merges.ranksBuilt());
            start.countDown();
            for (Future<List<String>> r : results) assertEquals(List.of(), r.get());
        } finally {
            pool.shutdown();
        }
    }
}
