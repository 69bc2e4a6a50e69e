package dev.vera4j.engine.template;

import dev.vera4j.engine.json.Json;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.fail;

/** Loads the jinja2-generated expectations written by {@code chat-templates/generate_expected.py}. */
final class Jinja2Cases {
    private Jinja2Cases() {}

    static Path resources() {
        try {
            return Path.of(Jinja2Cases.class.getResource("/chat-templates").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path sharedTemplates() {
        return Path.of(System.getProperty("vera4j.shared", "../shared")).resolve("testdata/chat-templates");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> readJson(Path p) {
        try {
            return (Map<String, Object>) Json.parse(Files.readString(p, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + p, e);
        }
    }

    /** The instant the generator pinned {@code strftime_now} to. */
    static Clock clock(Map<String, Object> doc) {
        return Clock.fixed(LocalDateTime.parse((String) doc.get("now")).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
    }

    /** Asserts the Java rendering matches the case's {@code expected} string or fails like its {@code error}. */
    @SuppressWarnings("unchecked")
    static void check(Map<String, Object> c, Supplier<String> render) {
        if (c.containsKey("expected")) {
            String actual;
            try {
                actual = render.get();
            } catch (TemplateException e) {
                throw new AssertionError("jinja2 rendered it but Java failed: " + e.getMessage(), e);
            }
            assertEquals(c.get("expected"), actual);
            return;
        }
        Map<String, Object> error = (Map<String, Object>) c.get("error");
        try {
            String out = render.get();
            fail("jinja2 raised " + error.get("type") + ": " + error.get("message") + " but Java rendered:\n" + out);
        } catch (TemplateException e) {
            if (error.get("type").equals("raise_exception")) {
                TemplateRaisedException raised = assertInstanceOf(TemplateRaisedException.class, e, e.getMessage());
                assertEquals(error.get("message"), raised.templateMessage());
            }
        }
    }
}
