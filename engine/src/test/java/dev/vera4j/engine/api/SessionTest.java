package dev.vera4j.engine.api;

import dev.vera4j.engine.kv.ContextOverflowException;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.ReferenceData;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.*;

class SessionTest {
    @Test
    void greedyGenerationReproducesLlamaCppForEveryReference() {
        try (Model model = Model.load(ReferenceData.stories(), 2)) {
            for (ReferenceData ref : ReferenceData.all()) {
                for (KvType kv : KvType.values()) {
                    Session s = model.newSession(256, kv, 4);   // a small batch: the prompt goes in several chunks
                    List<Integer> streamed = new ArrayList<>();
                    Generation g = s.generate(ref.promptIds(), GenerateOptions.builder().maxTokens(ref.generatedIds().length)
                            .temperature(0).ignoreEndOfGeneration().build(), (id, text) -> streamed.add(id));
                    assertArrayEquals(ref.generatedIds(), g.tokens(), ref + " " + kv);
                    assertEquals(StopReason.MAX_TOKENS, g.stopReason());
                    assertEquals(ref.generatedIds().length, streamed.size());
                    assertEquals(ref.promptIds().length, g.timings().promptTokens());
                    assertEquals(ref.promptIds().length + ref.generatedIds().length - 1, s.position());
                }
            }
        }
    }

    @Test
    void textPromptsAndStreamedTextFollowTheTokenizer() {
        try (Model model = Model.load(ReferenceData.stories(), 2)) {
            for (ReferenceData ref : ReferenceData.all()) {
                StringBuilder streamed = new StringBuilder();
                Session s = model.newSession(128, KvType.F32);
                Generation g = s.generate(ref.prompt(), GenerateOptions.builder().temperature(0).maxTokens(64).build(),
                        (id, text) -> streamed.append(text));
                assertArrayEquals(ref.promptIds(), g.promptTokens(), ref.toString());
                assertArrayEquals(ref.generatedIds(), g.tokens());
                int[] all = new int[ref.promptIds().length + g.tokens().length];
                System.arraycopy(ref.promptIds(), 0, all, 0, ref.promptIds().length);
                System.arraycopy(g.tokens(), 0, all, ref.promptIds().length, g.tokens().length);
                String full = model.tokenizer().decode(all);
                assertEquals(model.tokenizer().decode(ref.promptIds()) + g.text(), full);
                assertEquals(g.text(), streamed.toString());
                String first = model.tokenizer().decode(new int[] {model.tokenizer().bos(), g.tokens()[0]});
                assertTrue(g.text().startsWith(first), "the continuation keeps a leading space: '" + g.text() + "'");
            }
        }
    }

    @Test
    void stopStringsEndTheTextBeforeThem() {
        ReferenceData ref = ReferenceData.all().get(1);
        try (Model model = Model.load(ReferenceData.stories(), 1)) {
            String text = model.newSession(128, KvType.F32).generate(ref.prompt(), GenerateOptions.greedy(64), GenerationListener.NONE).text();
            String stop = text.substring(20, 26);
            StringBuilder streamed = new StringBuilder();
            Generation g = model.newSession(128, KvType.F32).generate(ref.prompt(),
                    GenerateOptions.builder().temperature(0).maxTokens(64).stopStrings("no such words", stop).build(),
                    (id, t) -> streamed.append(t));
            assertEquals(StopReason.STOP_STRING, g.stopReason());
            assertEquals(stop, g.stopString());
            assertEquals(text.substring(0, text.indexOf(stop)), g.text());
            assertEquals(g.text(), streamed.toString());
            assertTrue(g.tokens().length < 64);
        }
    }

    @Test
    void aConversationContinuesWithoutRecomputation() {
        ReferenceData ref = ReferenceData.all().getFirst();
        try (Model model = Model.load(ReferenceData.stories(), 1)) {
            Session s = model.newSession(256, KvType.F32);
            Generation a = s.generate(ref.promptIds(), GenerateOptions.greedy(20), GenerationListener.NONE);
            int after = s.position();
            Generation b = s.generate(new int[0], GenerateOptions.greedy(44), GenerationListener.NONE);
            assertEquals(1, b.promptTokens().length, "only the pending token is fed again");
            assertEquals(after + 1 + 43, s.position(), "the last sampled token is not fed until the next turn");
            int[] joined = new int[64];
            System.arraycopy(a.tokens(), 0, joined, 0, 20);
            System.arraycopy(b.tokens(), 0, joined, 20, 44);
            assertArrayEquals(ref.generatedIds(), joined);
            int[] held = s.tokens();
            assertArrayEquals(ref.promptIds(), Arrays.copyOf(held, ref.promptIds().length));
            s.reset();
            assertEquals(0, s.position());
            assertArrayEquals(Arrays.copyOf(ref.generatedIds(), 10),
                    s.generate(ref.promptIds(), GenerateOptions.greedy(10), GenerationListener.NONE).tokens());
        }
    }

    @Test
    void aSecondTextTurnGetsNoSecondBos() {
        try (Model model = Model.load(ReferenceData.stories(), 1)) {
            Session s = model.newSession(128, KvType.F32);
            Generation first = s.generate("Once upon a time", GenerateOptions.greedy(4), GenerationListener.NONE);
            assertEquals(1, first.promptTokens()[0]);
            Generation second = s.generate(" the dog", GenerateOptions.greedy(4), GenerationListener.NONE);
            int[] expected = model.tokenizer().encode(" the dog", false, true);
            assertEquals(first.tokens()[3], second.promptTokens()[0], "the pending token goes first");
            assertArrayEquals(expected, Arrays.copyOfRange(second.promptTokens(), 1, second.promptTokens().length));
        }
    }

    @Test
    void badInputIsRejectedClearly() {
        try (Model model = Model.load(ReferenceData.stories(), 1)) {
            Session s = model.newSession(16, KvType.F32);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.ingest(new int[] {1, 512}));
            assertTrue(e.getMessage().contains("token id 512 is outside the vocabulary"), e.getMessage());
            assertEquals(0, s.position());
            assertThrows(IllegalArgumentException.class, () -> s.generate(new int[0], GenerateOptions.greedy(4), GenerationListener.NONE));
            assertThrows(IllegalArgumentException.class, () -> GenerateOptions.builder().maxTokens(-1).build());
            assertThrows(IllegalArgumentException.class, () -> GenerateOptions.builder().topP(0).build());
            assertThrows(IllegalArgumentException.class, () -> GenerateOptions.builder().stopStrings("").build());
            assertThrows(IllegalArgumentException.class, () -> model.newSession(0, KvType.F32));
            assertThrows(IllegalArgumentException.class, () -> Model.load(ReferenceData.stories(), 0));
        }
    }

    @Test
    void aPromptThatDoesNotFitIsAClearError() {
        try (Model model = Model.load(ReferenceData.stories(), 1)) {
            Session s = model.newSession(8, KvType.F32);
            int[] prompt = new int[9];
            Arrays.fill(prompt, 1);
            ContextOverflowException e = assertThrows(ContextOverflowException.class,
                    () -> s.generate(prompt, GenerateOptions.greedy(4), GenerationListener.NONE));
            assertTrue(e.getMessage().contains("9 more tokens do not fit"), e.getMessage());
            assertEquals(0, s.position(), "nothing was fed");
            Generation g = s.generate(new int[] {1, 403, 407}, GenerateOptions.greedy(100), GenerationListener.NONE);
            assertEquals(StopReason.CONTEXT_FULL, g.stopReason());
            assertEquals(8, s.position());
            assertEquals(6, g.tokens().length);
            assertThrows(ContextOverflowException.class, () -> s.generate(new int[0], GenerateOptions.greedy(1), GenerationListener.NONE));
        }
    }

    @Test
    void stopTokensAndSeededSamplingAreReproducible() {
        ReferenceData ref = ReferenceData.all().get(1);
        try (Model model = Model.load(ReferenceData.stories(), 1)) {
            int stop = ref.generatedIds()[5];
            Generation g = model.newSession(128, KvType.F32).generate(ref.promptIds(),
                    GenerateOptions.builder().temperature(0).stopTokens(stop).maxTokens(64).build(), GenerationListener.NONE);
            assertEquals(StopReason.STOP_TOKEN, g.stopReason());
            int firstStop = 0;
            while (ref.generatedIds()[firstStop] != stop) firstStop++;
            assertArrayEquals(Arrays.copyOf(ref.generatedIds(), firstStop + 1), g.tokens());
            GenerateOptions sampled = GenerateOptions.builder().temperature(1.0f).topK(0).topP(1).minP(0).seed(77).maxTokens(40)
                    .ignoreEndOfGeneration().build();
            int[] x = model.newSession(128, KvType.F32).generate(ref.promptIds(), sampled, GenerationListener.NONE).tokens();
            int[] y = model.newSession(128, KvType.F32).generate(ref.promptIds(), sampled, GenerationListener.NONE).tokens();
            assertArrayEquals(x, y);
            assertFalse(Arrays.equals(ref.generatedIds(), Arrays.copyOf(x, 64)) && x.length == 64, "temperature 1 should not be greedy");
        }
    }

    @Test
    void twoModelsInOneJvmAreIndependent() throws Exception {
        List<ReferenceData> refs = ReferenceData.all();
        try (Model a = Model.load(ReferenceData.stories(), 2); Model b = Model.load(ReferenceData.stories(), 1)) {
            CompletableFuture<int[]> fa = CompletableFuture.supplyAsync(() -> a.newSession(128, KvType.F32)
                    .generate(refs.get(0).promptIds(), GenerateOptions.greedy(64), GenerationListener.NONE).tokens());
            CompletableFuture<int[]> fb = CompletableFuture.supplyAsync(() -> b.newSession(128, KvType.F32)
                    .generate(refs.get(1).promptIds(), GenerateOptions.greedy(64), GenerationListener.NONE).tokens());
            int[] ra = fa.get(), rb = fb.get();
            assertArrayEquals(refs.get(0).generatedIds(), ra);
            assertArrayEquals(refs.get(1).generatedIds(), rb);
            b.close();
            assertThrows(IllegalStateException.class, b::newSession);
            assertArrayEquals(Arrays.copyOf(refs.get(2).generatedIds(), 8), a.newSession(64, KvType.F16)
                    .generate(refs.get(2).promptIds(), GenerateOptions.greedy(8), GenerationListener.NONE).tokens());
        }
    }

    @Test
    void twoSessionsOfOneModelInterleave() {
        List<ReferenceData> refs = ReferenceData.all();
        try (Model m = Model.load(ReferenceData.stories(), 2)) {
            Session s1 = m.newSession(128, KvType.F32), s2 = m.newSession(128, KvType.F32);
            int[] x1 = s1.generate(refs.get(0).promptIds(), GenerateOptions.greedy(10), GenerationListener.NONE).tokens();
            int[] x2 = s2.generate(refs.get(3).promptIds(), GenerateOptions.greedy(10), GenerationListener.NONE).tokens();
            int[] y1 = s1.generate(new int[0], GenerateOptions.greedy(10), GenerationListener.NONE).tokens();
            assertArrayEquals(Arrays.copyOf(refs.get(0).generatedIds(), 10), x1);
            assertArrayEquals(Arrays.copyOf(refs.get(3).generatedIds(), 10), x2);
            assertArrayEquals(Arrays.copyOfRange(refs.get(0).generatedIds(), 10, 20), y1);
        }
    }
}
