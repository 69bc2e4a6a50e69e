package dev.vera4j.engine.template;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Jinja sources of the built-in fallback templates (resources {@code named/NAME.jinja}), for models whose GGUF has
 * no {@code tokenizer.chat_template}. The generator of the test expectations renders the same files with jinja2.
 */
final class NamedTemplates {
    static final List<String> NAMES = List.of("chatml", "llama-2", "llama-3");

    private NamedTemplates() {}

    static String source(String name) {
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("unknown chat template name '" + name + "' (known: " + String.join(", ", NAMES) + ")");
        }
        try (InputStream in = NamedTemplates.class.getResourceAsStream("named/" + name + ".jinja")) {
            if (in == null) throw new IllegalStateException("built-in chat template resource named/" + name + ".jinja is missing");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
