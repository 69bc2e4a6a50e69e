package dev.vera4j.vera.train;

import dev.vera4j.engine.template.ChatTemplate;
import dev.vera4j.engine.tokenizer.Tokenizer;
import dev.vera4j.engine.tokenizer.Tokenizers;
import dev.vera4j.gguf.GgufFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** Reading training data with the stories260K tokenizer: documents, windows, JSONL kinds and their loss masks. */
class DatasetTest {
    static Tokenizer tok;
    @TempDir Path dir;

    @BeforeAll
    static void load() {
        try (GgufFile f = GgufFile.open(GradientReference.stories())) {
            tok = Tokenizers.fromMetadata(f.metadata());
        }
    }

    Path write(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    void blankLineDocumentsGetBosAndEos() throws Exception {
        Dataset d = Dataset.load(write("a.txt", "Once upon a time.\n\nThe cat sat.\n \n\nPip beeped.\n"), tok, null, 256, Dataset.TextMode.DOCUMENTS);
        assertEquals(3, d.size());
        for (Example e : d.examples()) {
            assertEquals(tok.bos(), e.tokens()[0]);
            assertEquals(tok.eos(), e.tokens()[e.tokens().length - 1]);
            assertEquals(e.length(), e.targets());
        }
        assertEquals("The cat sat.", tok.decode(Arrays.copyOfRange(d.get(1).tokens(), 1, d.get(1).tokens().length - 1)).strip());
    }

    @Test
    void longDocumentsAreSplitWithOneTokenOverlap() throws Exception {
        String story = "Once upon a time, there was a blue robot named Pip. Pip lived near the forest and loved to help everyone.";
        int[] whole = Dataset.load(write("w.txt", story), tok, null, 1000, Dataset.TextMode.DOCUMENTS).get(0).tokens();
        Dataset d = Dataset.load(write("s.txt", story), tok, null, 8, Dataset.TextMode.DOCUMENTS);
        int targets = 0;
        for (int i = 0; i < d.size(); i++) {
            Example e = d.get(i);
            assertTrue(e.length() <= 8);
            assertArrayEquals(Arrays.copyOfRange(whole, 8 * i, 8 * i + e.tokens().length), e.tokens());
            targets += e.targets();
        }
        assertEquals(whole.length - 1, targets, "every next-token target exactly once");
    }

    @Test
    void windowsStartWithBos() throws Exception {
        Dataset d = Dataset.load(write("w.txt", "Pip beeped. The bird sang. They played until the sun went down."), tok, null, 6, Dataset.TextMode.WINDOWS);
        assertTrue(d.size() > 1);
        for (Example e : d.examples()) {
            assertEquals(tok.bos(), e.tokens()[0]);
            assertTrue(e.length() <= 6);
        }
    }

    @Test
    void promptCompletionTrainsOnlyTheCompletion() throws Exception {
        Dataset d = Dataset.load(write("pc.jsonl", "{\"prompt\": \"Once upon a time\", \"completion\": \" Pip beeped.\"}\n"), tok, null, 256, Dataset.TextMode.DOCUMENTS);
        Example e = d.get(0);
        int promptLen = tok.encode("Once upon a time", true, false).length;
        for (int t = 0; t < e.length(); t++) assertEquals(t + 1 >= promptLen, e.mask()[t], "target " + (t + 1));
        assertEquals(tok.eos(), e.tokens()[e.tokens().length - 1]);
    }

    @Test
    void chatTrainsOnlyAssistantTurns() throws Exception {
        String line = "{\"messages\": [{\"role\": \"user\", \"content\": \"Who is Pip?\"}, {\"role\": \"assistant\", \"content\": \"A blue robot.\"},"
                + " {\"role\": \"user\", \"content\": \"Where?\"}, {\"role\": \"assistant\", \"content\": \"Near the forest.\"}]}";
        Dataset d = Dataset.load(write("c.jsonl", line + "\n"), tok, ChatTemplate.named("chatml"), 512, Dataset.TextMode.DOCUMENTS);
        Example e = d.get(0);
        StringBuilder trained = new StringBuilder(), other = new StringBuilder();
        for (int t = 0; t < e.length(); t++) (e.mask()[t] ? trained : other).append(tok.piece(e.tokens()[t + 1]));
        String tr = trained.toString().replace('▁', ' ');
        assertTrue(tr.contains("blue robot") && tr.contains("forest"), tr);
        assertFalse(tr.contains("Who") || tr.contains("Where") || tr.contains("user"), tr);
    }

    @Test
    void badLinesNameFileAndLine() throws Exception {
        Path p = write("bad.jsonl", "{\"text\": \"ok\"}\n{\"tex\": 1}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Dataset.load(p, tok, null, 64, Dataset.TextMode.DOCUMENTS));
        assertTrue(e.getMessage().contains("bad.jsonl:2:"), e.getMessage());
        Path chat = write("chat.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Dataset.load(chat, tok, null, 64, Dataset.TextMode.DOCUMENTS))
                .getMessage().contains("chat template"));
    }

    @Test
    void orderIsASeededPermutation() throws Exception {
        Dataset d = Dataset.load(write("o.txt", "a\n\nb\n\nc\n\nd\n\ne\n\nf\n\ng\n\nh\n"), tok, null, 16, Dataset.TextMode.DOCUMENTS);
        int[] o = d.order(5, 0);
        assertArrayEquals(o, d.order(5, 0));
        assertFalse(Arrays.equals(o, d.order(5, 1)));
        int[] sorted = o.clone();
        Arrays.sort(sorted);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7}, sorted);
    }
}
