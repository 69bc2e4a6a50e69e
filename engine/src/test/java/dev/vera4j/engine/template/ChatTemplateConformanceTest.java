package dev.vera4j.engine.template;

import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every template in {@code ../shared/testdata/chat-templates} renders every generated conversation byte-identically
 * to Python jinja2 in Hugging Face's configuration, and fails wherever jinja2 fails; so do the built-in fallbacks and
 * the templates of the families that are not in the shared set ({@code chat-templates/families}: Gemma 3,
 * Phi-4-mini, Mixtral, Qwen2-MoE, Qwen3-MoE).
 */
class ChatTemplateConformanceTest {
    @Test
    void everySharedTemplateHasExpectations() throws IOException {
        List<String> templates;
        try (Stream<Path> s = Files.list(Jinja2Cases.sharedTemplates())) {
            templates = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jinja")).sorted().toList();
        }
        assertTrue(templates.size() >= 17, "expected the shared templates, found " + templates);
        for (String t : templates) {
            Path expected = Jinja2Cases.resources().resolve("expected").resolve(t.replace(".jinja", ".json"));
            assertTrue(Files.exists(expected), "no jinja2 expectations for " + t + "; run generate_expected.py");
        }
        try (Stream<Path> s = Files.list(Jinja2Cases.resources().resolve("families"))) {
            for (Path t : s.toList()) {
                Path expected = Jinja2Cases.resources().resolve("expected").resolve(t.getFileName().toString().replace(".jinja", ".json"));
                assertTrue(Files.exists(expected), "no jinja2 expectations for " + t + "; run generate_expected.py");
            }
        }
        for (String n : ChatTemplate.names()) {
            assertTrue(Files.exists(Jinja2Cases.resources().resolve("expected/named-" + n + ".json")), "no expectations for named " + n);
        }
    }

    @TestFactory
    @SuppressWarnings("unchecked")
    Stream<DynamicContainer> rendersLikeJinja2() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(Jinja2Cases.resources().resolve("expected"))) {
            files = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        List<DynamicContainer> containers = new ArrayList<>();
        for (Path f : files) {
            Map<String, Object> doc = Jinja2Cases.readJson(f);
            String name = (String) doc.get("template");
            Path source = name.startsWith("families/") ? Jinja2Cases.resources().resolve(name) : Jinja2Cases.sharedTemplates().resolve(name);
            ChatTemplate template = name.startsWith("named:")
                    ? ChatTemplate.named(name.substring("named:".length()))
                    : ChatTemplate.parse(Files.readString(source, StandardCharsets.UTF_8));
            template = template.withClock(Jinja2Cases.clock(doc));
            ChatTemplate t = template;
            List<DynamicTest> tests = new ArrayList<>();
            for (Object o : (List<Object>) doc.get("cases")) {
                Map<String, Object> c = (Map<String, Object>) o;
                Map<String, Object> extra = new LinkedHashMap<>();
                extra.put("bos_token", doc.get("bos_token"));
                extra.put("eos_token", doc.get("eos_token"));
                extra.putAll((Map<String, Object>) c.get("extra"));
                List<Map<String, Object>> messages = (List<Map<String, Object>>) c.get("messages");
                boolean agp = (Boolean) c.get("add_generation_prompt");
                tests.add(DynamicTest.dynamicTest((String) c.get("name"),
                        () -> Jinja2Cases.check(c, () -> t.renderMessages(messages, agp, extra))));
            }
            containers.add(DynamicContainer.dynamicContainer(name, tests));
        }
        return containers.stream();
    }

    @Test
    void chatMessageApiMatchesMapApi() throws IOException {
        String source = Files.readString(Jinja2Cases.sharedTemplates().resolve("meta-llama-Llama-3.1-8B-Instruct.jinja"));
        ChatTemplate t = ChatTemplate.parse(source);
        List<ChatMessage> messages = List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi"));
        Map<String, Object> vars = Map.of("bos_token", "<|begin_of_text|>", "eos_token", "<|eot_id|>", "date_string", "01 Jan 2025");
        String rendered = t.render(messages, true, vars);
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
                + "Today Date: 01 Jan 2025\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", rendered);
        assertEquals(rendered, t.renderMessages(messages.stream().map(ChatMessage::toMap).toList(), true, vars));
    }
}
