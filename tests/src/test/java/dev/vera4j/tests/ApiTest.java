package dev.vera4j.tests;

import dev.vera4j.engine.Vera4j;
import dev.vera4j.engine.api.Cancellation;
import dev.vera4j.engine.api.Chat;
import dev.vera4j.engine.api.EngineException;
import dev.vera4j.engine.api.GenerateOptions;
import dev.vera4j.engine.api.ModelInfo;
import dev.vera4j.engine.api.Reply;
import dev.vera4j.engine.api.StopReason;
import dev.vera4j.engine.template.ChatMessage;
import dev.vera4j.vera.VeraAdapters;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The embedding API: {@link Vera4j}, {@link Chat}, cancellation, adapters through {@link VeraAdapters}. */
class ApiTest {
    private static final Path SHARED = Path.of(System.getProperty("vera4j.shared", "../shared"));
    private static final Path STORIES = SHARED.resolve("models/stories260K.gguf");
    private static final Path PEFT = Path.of("../vera/src/test/resources/dev/vera4j/vera/stories/stories-vera");
    private static Vera4j model;

    @BeforeAll static void load() { model = Vera4j.load(STORIES, 1); }

    @AfterAll static void close() { model.close(); }

    @Test
    void infoDescribesTheModel() {
        ModelInfo i = model.info();
        assertEquals("llama", i.architecture());
        assertEquals("F32", i.quantization());
        assertEquals(5, i.blockCount());
        assertEquals(512, i.vocabSize());
        assertTrue(i.parameters() > 250_000 && i.parameters() < 300_000, "" + i.parameters());
        assertTrue(i.vectorApiActive(), "surefire runs with the Vector API");
        assertEquals(2L * 5 * 100 * i.kvDim() * 2, i.kvCacheBytes(100, 2));
    }

    @Test
    void generateIsDeterministicWithASeedAndMatchesTheCli() {
        GenerateOptions o = GenerateOptions.builder().maxTokens(20).temperature(0.9f).seed(123).build();
        Reply a = model.generate("Once upon a time", o), b = model.generate("Once upon a time", o);
        assertEquals(a.text(), b.text());
        assertArrayEquals(a.tokens(), b.tokens());
        assertEquals(StopReason.MAX_TOKENS, a.stopReason());
        assertEquals(20, a.timings().generatedTokens());
        assertTrue(a.timeToFirstTokenNanos() > 0);
        var cli = ChatCommandTest.cli("", "generate", "-m", STORIES.toString(), "-p", "Once upon a time", "-n", "20", "--temp", "0.9",
                "--seed", "123", "-t", "1", "--quiet");
        assertEquals("Once upon a time" + a.text() + "\n", cli.out());
    }

    @Test
    void chatReusesTheCacheAndAnswersAsAFreshChatWould() {
        Chat live = model.chat().temperature(0).maxTokens(12).build();
        Reply first = live.send("The little dog");
        long afterFirst = live.stats().promptTokens();
        Reply second = live.send("Then the cat");
        long prefilled = live.stats().promptTokens() - afterFirst;
        int whole = model.tokenize(String.join(" ", "The little dog" + first.text(), "Then the cat")).length;
        assertTrue(prefilled < whole / 2, "second turn prefilled " + prefilled + " of " + whole + " tokens");

        Chat fresh = model.chat().temperature(0).maxTokens(12).build();
        fresh.messages(List.of(new ChatMessage("user", "The little dog"), new ChatMessage("assistant", first.text())));
        assertEquals(second.text(), fresh.send("Then the cat").text(), "cache reuse must not change the answer");
        assertEquals(4, live.messages().size());
        live.reset();
        assertEquals(0, live.stats().contextUsed());
        assertEquals(first.text(), live.send("The little dog").text());
    }

    @Test
    void templatedChatsReuseTheCacheToo() {
        for (String template : new String[] {"chatml", "llama-2", "llama-3"}) {
            Chat live = model.chat().template(template).system("Tell stories.").temperature(0).maxTokens(10).build();
            assertEquals(template, live.templateName());
            Reply first = live.send("The little dog");
            long afterFirst = live.stats().promptTokens();
            Reply second = live.send("Then the cat");
            assertTrue(live.stats().promptTokens() - afterFirst < afterFirst, template + ": the second turn re-fed the first");
            Chat fresh = model.chat().template(template).temperature(0).maxTokens(10).build();
            fresh.messages(List.of(new ChatMessage("system", "Tell stories."), new ChatMessage("user", "The little dog"),
                    new ChatMessage("assistant", first.text())));
            assertEquals("Tell stories.", fresh.system());
            assertEquals(second.text(), fresh.send("Then the cat").text(), template);
        }
        assertThrows(IllegalArgumentException.class, () -> model.chat().template("nope").build());
        Chat strict = model.chat().template("llama-2").temperature(0).maxTokens(4).build();
        strict.messages(List.of(new ChatMessage("user", "one"), new ChatMessage("user", "two")));
        RuntimeException e = assertThrows(RuntimeException.class, () -> strict.send("three"));
        assertTrue(e.getMessage().contains("alternate"), e.getMessage());
        assertEquals(2, strict.messages().size(), "the failed turn is not kept");
    }

    @Test
    void cancellationStopsBetweenTokensAndTheChatGoesOn() {
        Chat chat = model.chat().temperature(0).maxTokens(50).build();
        int[] seen = {0};
        Reply r = chat.send("Once upon a time", text -> { if (++seen[0] == 3) chat.cancel(); });
        assertTrue(r.cancelled());
        assertNull(r.stopReason());
        assertTrue(r.tokens().length >= 3 && r.tokens().length < 10, "" + r.tokens().length);
        Reply next = chat.send("Then");
        assertFalse(next.cancelled());
        assertEquals(50, next.timings().generatedTokens());

        Cancellation c = new Cancellation();
        c.cancel();
        Reply none = model.generate("Once", GenerateOptions.greedy(10), t -> fail("no text after cancel"), c);
        assertTrue(none.cancelled());
        assertEquals(0, none.tokens().length);
    }

    @Test
    void aFullContextDropsTheOldestTurns() {
        Chat chat = model.chat().temperature(0).maxTokens(10).contextLength(64).build();
        int dropped = 0;
        for (int i = 0; i < 8; i++) dropped += chat.send("The little dog ran to the park").droppedMessages();
        assertTrue(dropped > 0);
        assertTrue(chat.stats().contextUsed() <= 64);
        assertThrows(EngineException.class, () -> chat.send("word ".repeat(100)));
        assertEquals("assistant", chat.messages().getLast().role(), "the rejected message is not kept");
    }

    @Test
    void adaptersComeFromTheVeraModule() {
        Chat plain = model.chat().temperature(0).maxTokens(12).build();
        Chat adapted = model.chat().adapter(VeraAdapters.load(PEFT)).temperature(0).maxTokens(12).build();
        Chat zero = model.chat().adapter(VeraAdapters.load(PEFT, 0f)).temperature(0).maxTokens(12).build();
        String base = plain.send("Once upon a time").text();
        assertNotEquals(base, adapted.send("Once upon a time").text());
        assertEquals(base, zero.send("Once upon a time").text());
        adapted.adapter(null);
        adapted.reset();
        assertEquals(base, adapted.send("Once upon a time").text());
        assertThrows(IllegalArgumentException.class, () -> VeraAdapters.load(Path.of("/nonexistent/adapter.gguf")));
    }

    @Test
    void manySessionsOfOneModelOnSeveralThreads() throws Exception {
        String expected = model.chat().temperature(0).maxTokens(16).build().send("Lily").text();
        Thread[] threads = new Thread[3];
        String[] got = new String[3];
        for (int t = 0; t < threads.length; t++) {
            int k = t;
            threads[t] = Thread.ofPlatform().start(() -> got[k] = model.chat().temperature(0).maxTokens(16).build().send("Lily").text());
        }
        for (Thread t : threads) t.join();
        for (String g : got) assertEquals(expected, g);
    }
}
