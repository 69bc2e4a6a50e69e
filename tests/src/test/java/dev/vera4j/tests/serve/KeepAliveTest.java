package dev.vera4j.tests.serve;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.vera4j.engine.batch.BatchConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Streams that stay silent longer than the keep-alive interval (here: 300 ms steps, 200 ms keep-alive) get SSE comment
 * lines, which the official client and LangChain4j skip.
 */
class KeepAliveTest {
    @TempDir Path adapters;

    @Test
    void clientsSkipKeepAliveComments() throws Exception {
        try (ServeFixture fixture = ServeFixture.start(adapters, BatchConfig.defaults(256).withParallel(1), 300)) {
            String body = "{\"model\": \"stories260K\", \"messages\": [{\"role\": \"user\", \"content\": \"Once upon a time\"}], \"max_tokens\": 2, \"temperature\": 0, \"stream\": true}";
            HttpResponse<InputStream> raw = fixture.http.send(HttpRequest.newBuilder(URI.create(fixture.url() + "/v1/chat/completions"))
                    .header("Authorization", "Bearer " + ServeFixture.KEY).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            String text;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(raw.body(), StandardCharsets.UTF_8))) {
                text = r.lines().reduce("", (a, b) -> a + b + "\n");
            }
            assertTrue(text.contains(": keep-alive\n"), text);

            ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("stories260K")
                    .addUserMessage("Once upon a time").maxCompletionTokens(2).temperature(0.0).build();
            OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(fixture.url() + "/v1").apiKey(ServeFixture.KEY).maxRetries(0).build();
            try {
                String whole = client.chat().completions().create(params).choices().getFirst().message().content().orElseThrow();
                StringBuilder streamed = new StringBuilder();
                try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params)) {
                    s.stream().forEach(c -> c.choices().forEach(ch -> ch.delta().content().ifPresent(streamed::append)));
                }
                assertEquals(whole, streamed.toString());

                OpenAiStreamingChatModel lc = OpenAiStreamingChatModel.builder().baseUrl(fixture.url() + "/v1").apiKey(ServeFixture.KEY)
                        .modelName("stories260K").temperature(0.0).maxTokens(2).build();
                CompletableFuture<ChatResponse> done = new CompletableFuture<>();
                lc.chat("Once upon a time", new StreamingChatResponseHandler() {
                    @Override public void onPartialResponse(String partial) { }
                    @Override public void onCompleteResponse(ChatResponse response) { done.complete(response); }
                    @Override public void onError(Throwable error) { done.completeExceptionally(error); }
                });
                assertEquals(whole, done.get(60, TimeUnit.SECONDS).aiMessage().text());
            } finally {
                client.close();
            }
        }
    }
}
