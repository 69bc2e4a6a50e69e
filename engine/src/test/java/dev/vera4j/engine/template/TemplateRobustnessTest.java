package dev.vera4j.engine.template;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/** Mutated templates either render or fail with a {@link TemplateException}; never with another exception. */
class TemplateRobustnessTest {
    private static final String ALPHABET = "{}%#-+()[]'\".|,:=~*/ \n\tabifnotsetforendx0123";

    @Test
    void mutatedTemplatesFailCleanly() throws IOException {
        List<String> sources = new ArrayList<>();
        try (Stream<Path> s = Files.list(Jinja2Cases.sharedTemplates())) {
            for (Path p : s.sorted().toList()) sources.add(Files.readString(p));
        }
        List<Map<String, Object>> messages = List.of(
                Map.of("role", "system", "content", "sys"),
                Map.of("role", "user", "content", "hi"),
                Map.of("role", "assistant", "content", "yo"));
        Map<String, Object> extra = Map.of("bos_token", "<s>", "eos_token", "</s>",
                "tools", List.of(Map.of("type", "function", "function", Map.of("name", "f", "description", "d",
                        "parameters", Map.of("type", "object", "properties", Map.of("a", Map.of("type", "string")))))));
        Random rnd = new Random(42);
        int rendered = 0, rejected = 0;
        for (int i = 0; i < 500; i++) {
            StringBuilder sb = new StringBuilder(sources.get(rnd.nextInt(sources.size())));
            for (int k = 1 + rnd.nextInt(4); k > 0; k--) {
                int at = rnd.nextInt(sb.length() + 1);
                switch (rnd.nextInt(3)) {
                    case 0 -> sb.insert(at, ALPHABET.charAt(rnd.nextInt(ALPHABET.length())));
                    case 1 -> { if (at < sb.length()) sb.deleteCharAt(at); }
                    default -> { if (at < sb.length()) sb.setCharAt(at, ALPHABET.charAt(rnd.nextInt(ALPHABET.length()))); }
                }
            }
            String src = sb.toString();
            try {
                ChatTemplate.parse(src).renderMessages(messages, rnd.nextBoolean(), extra);
                rendered++;
            } catch (TemplateException e) {
                rejected++;
            } catch (RuntimeException | StackOverflowError e) {
                fail("mutation " + i + " threw " + e + " instead of a TemplateException; template:\n" + src, e);
            }
        }
        if (rendered == 0 || rejected == 0) fail("mutations should both render and fail: " + rendered + " rendered, " + rejected + " rejected");
    }
}
