package dev.vera4j.tests.serve;

import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.batch.BatchConfig;
import dev.vera4j.server.OpenAiServer;
import dev.vera4j.server.ServerConfig;
import dev.vera4j.tools.Cli;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** {@code messages} go through the chat template: the server's answer is {@code vera4j generate --chat}'s for the same turn. */
class ChatTemplateServeTest {
    @Test
    void messagesAreRenderedWithTheChatTemplate() throws Exception {
        ByteArrayOutputStream cliOut = new ByteArrayOutputStream(), cliErr = new ByteArrayOutputStream();
        int code = Cli.run(new String[] {"generate", "-m", ServeFixture.STORIES.toString(), "--chat", "--chat-template", "chatml",
                "--system", "Tell a story.", "-p", "A cat and a dog", "-n", "20", "--temp", "0", "--quiet"},
                new PrintStream(cliOut, true, StandardCharsets.UTF_8), new PrintStream(cliErr, true, StandardCharsets.UTF_8));
        assertEquals(0, code, cliErr.toString(StandardCharsets.UTF_8));
        try (Model model = Model.load(ServeFixture.STORIES, 2);
             OpenAiServer server = OpenAiServer.start(model, BatchConfig.defaults(512), ServerConfig.loopback(0).withChatTemplate("chatml"),
                     new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))) {
            String body = "{\"model\": \"stories260K\", \"max_tokens\": 20, \"temperature\": 0, \"messages\": ["
                    + "{\"role\": \"developer\", \"content\": \"Tell a story.\"}, {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"A cat \"}, {\"type\": \"text\", \"text\": \"and a dog\"}]}]}";
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.url() + "/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            @SuppressWarnings("unchecked")
            Map<String, Object> message = (Map<String, Object>) ((List<Map<String, Object>>) ServeFixture.json(r.body()).get("choices")).getFirst().get("message");
            assertEquals(cliOut.toString(StandardCharsets.UTF_8), message.get("content") + "\n");
        }
    }
}
