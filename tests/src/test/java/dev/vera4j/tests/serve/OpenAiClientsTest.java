package dev.vera4j.tests.serve;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.vera4j.engine.batch.BatchConfig;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.tools.Cli;
import dev.vera4j.vera.VeraAdapters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The official OpenAI Java client and LangChain4j's OpenAI models against a server started here: models with adapters,
 * completions and chat, streamed and not, and per-request adapters in one batch giving {@code vera4j generate
 * --adapter}'s text.
 */
class OpenAiClientsTest {
    @TempDir static Path adapters;
    private static ServeFixture fixture;
    private static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        ServeFixture.writeAdapters(adapters, 4);
        fixture = ServeFixture.start(adapters, BatchConfig.defaults(512).withParallel(4));
        client = OpenAIOkHttpClient.builder().baseUrl(fixture.url() + "/v1").apiKey(ServeFixture.KEY).maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        fixture.close();
    }

    /** {@code vera4j generate} in-process: greedy, {@code n} tokens, with the given extra flags; returns stdout. */
    private static String generate(String prompt, int n, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("generate", "-m", ServeFixture.STORIES.toString(), "-p", prompt,
                "-n", Integer.toString(n), "--temp", "0", "--quiet"));
        args.addAll(List.of(extra));
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Cli.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String complete(String model, String prompt, int n) {
        Completion c = client.completions().create(CompletionCreateParams.builder().model(model).prompt(prompt)
                .maxTokens(n).temperature(0.0).build());
        return c.choices().getFirst().text();
    }

    @Test
    void modelsListsTheBaseAndEachAdapterButNotTheRefusedOne() {
        List<String> ids = client.models().list().data().stream().map(Model::id).toList();
        assertEquals(List.of("stories260K", "adapter-00", "adapter-01", "adapter-02", "adapter-03", "peft-stories"), ids);
        assertTrue(fixture.log().contains("adapter other-base.gguf refused: "), fixture.log());
        assertEquals(1, fixture.log().lines().filter(l -> l.contains("refused")).count(), "one line per refused adapter");
        assertEquals("adapter-02", client.models().retrieve("adapter-02").id());
    }

    /**
     * The base model and every adapter, requested at once so that they share the server's steps: each answer is
     * {@code vera4j generate --adapter}'s text wherever the logit margins allow. The reference is a session of its own
     * that also keeps each token's lead over the runner-up; {@code generate} runs the same single sequence and must
     * print its text exactly. Tolerance on logits: 1e-2, the backend's for F32 weights and an F16 cache (a step of
     * several sequences sums its products in another order than one sequence alone, and a key or value may then round
     * to the neighbouring half).
     */
    @Test
    void completionsGiveGeneratesGreedyTextForTheBaseAndPerRequestAdapters() {
        String prompt = "Once upon a time";
        float tolerance = 1e-2f;
        Map<String, Path> models = new LinkedHashMap<>();
        models.put("stories260K", null);
        for (String id : List.of("adapter-00", "adapter-01", "adapter-02", "adapter-03")) models.put(id, adapters.resolve(id + ".gguf"));
        models.put("peft-stories", ServeFixture.PEFT);
        Map<String, CompletableFuture<String>> answers = new LinkedHashMap<>();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String id : models.keySet()) answers.put(id, CompletableFuture.supplyAsync(() -> complete(id, prompt, 24), clients));
        }
        Map<String, GreedyText> refs = new LinkedHashMap<>();
        for (Map.Entry<String, Path> m : models.entrySet()) {
            Path adapter = m.getValue();
            GreedyText ref = GreedyText.of(fixture.model, prompt, 24, adapter == null ? null : VeraAdapters.load(adapter), KvType.F16, 128);
            String[] flags = adapter == null ? new String[0] : new String[] {"--adapter", adapter.toString()};
            assertEquals(generate(prompt, 24, flags), prompt + ref.text() + "\n", m.getKey() + ": the reference is generate's run");
            ref.assertAgrees(answers.get(m.getKey()).join(), tolerance, m.getKey());
            refs.put(m.getKey(), ref);
        }
        // the comparison can fail: an adapter's answer that differs from the base model's does not pass for it
        int differing = 0;
        for (String id : models.keySet()) {
            String answer = answers.get(id).join();
            if (answer.equals(refs.get("stories260K").text())) continue;
            differing++;
            assertThrows(AssertionFailedError.class, () -> refs.get("stories260K").assertAgrees(answer, tolerance, id + " against the base"));
        }
        assertTrue(differing >= 3, "the adapters must change the text for this test to mean anything");
    }

    @Test
    void chatStreamedAndWholeAgreeAndReportUsage() {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("adapter-01")
                .addUserMessage("Lily and Tom went to the park.").maxCompletionTokens(30).temperature(0.0)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        ChatCompletion whole = client.chat().completions().create(params);
        String text = whole.choices().getFirst().message().content().orElseThrow();
        assertFalse(text.isEmpty());
        assertEquals(30, whole.usage().orElseThrow().completionTokens());
        assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, whole.choices().getFirst().finishReason());
        StringBuilder streamed = new StringBuilder();
        long[] usage = {-1, -1};
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params)) {
            s.stream().forEach(chunk -> {
                chunk.choices().forEach(c -> c.delta().content().ifPresent(streamed::append));
                chunk.usage().ifPresent(u -> {
                    usage[0] = u.totalTokens();
                    usage[1] = u.promptTokensDetails().orElseThrow().cachedTokens().orElseThrow();
                });
            });
        }
        assertEquals(text, streamed.toString());
        assertEquals(whole.usage().orElseThrow().totalTokens(), usage[0]);
        // the same prompt and adapter again: a slot's cache held all of the prompt but its last token
        assertEquals(whole.usage().orElseThrow().promptTokens() - 1, usage[1], "cached prompt tokens");
    }

    @Test
    void completionsStreamWithLogprobs() {
        CompletionCreateParams params = CompletionCreateParams.builder().model("stories260K").prompt("The cat").maxTokens(12)
                .temperature(0.0).logprobs(2).build();
        Completion whole = client.completions().create(params);
        var lp = whole.choices().getFirst().logprobs().orElseThrow();
        assertEquals(12, lp.tokens().orElseThrow().size());
        assertEquals(whole.choices().getFirst().text(), String.join("", lp.tokens().orElseThrow()).substring(0, whole.choices().getFirst().text().length()));
        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<Completion> s = client.completions().createStreaming(params)) {
            s.stream().forEach(c -> c.choices().forEach(ch -> streamed.append(ch.text())));
        }
        assertEquals(whole.choices().getFirst().text(), streamed.toString());
    }

    @Test
    void langChain4jChatModelsTalkToIt() throws Exception {
        String expected = client.chat().completions().create(ChatCompletionCreateParams.builder().model("adapter-03")
                .addUserMessage("Once upon a time").maxCompletionTokens(20).temperature(0.0).build())
                .choices().getFirst().message().content().orElseThrow();
        OpenAiChatModel chat = OpenAiChatModel.builder().baseUrl(fixture.url() + "/v1").apiKey(ServeFixture.KEY)
                .modelName("adapter-03").temperature(0.0).maxTokens(20).build();
        assertEquals(expected, chat.chat("Once upon a time"));

        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(fixture.url() + "/v1").apiKey(ServeFixture.KEY)
                .modelName("adapter-03").temperature(0.0).maxTokens(20).build();
        StringBuilder parts = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat("Once upon a time", new StreamingChatResponseHandler() {
            @Override public void onPartialResponse(String partial) { parts.append(partial); }
            @Override public void onCompleteResponse(ChatResponse response) { done.complete(response); }
            @Override public void onError(Throwable error) { done.completeExceptionally(error); }
        });
        ChatResponse response = done.get(60, TimeUnit.SECONDS);
        assertEquals(expected, parts.toString());
        assertEquals(expected, response.aiMessage().text());
        assertEquals(20, response.tokenUsage().outputTokenCount());
    }
}
