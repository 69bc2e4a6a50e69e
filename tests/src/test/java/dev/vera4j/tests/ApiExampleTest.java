package dev.vera4j.tests;

import dev.vera4j.engine.Vera4j;
import dev.vera4j.engine.api.GenerateOptions;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/** Compiles {@code examples/Embed.java} against the built module classes, runs it, and checks its deterministic output. */
class ApiExampleTest {
    private static final Path SHARED = Path.of(System.getProperty("vera4j.shared", "../shared"));
    private static final Path STORIES = SHARED.resolve("models/stories260K.gguf");

    @TempDir Path tmp;

    @Test
    void embeddingExampleCompilesAndRuns() throws Exception {
        String cp = String.join(File.pathSeparator, List.of("../gguf/target/classes", "../simd/target/classes", "../engine/target/classes"));
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null, "--add-modules", "jdk.incubator.vector",
                "-cp", cp, "-d", tmp.toString(), "../examples/Embed.java");
        assertEquals(0, rc, "javac failed");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-cp", tmp + File.pathSeparator + cp, "Embed", STORIES.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        try (Vera4j model = Vera4j.load(STORIES, 1)) {
            String once = model.generate("Once upon a time", GenerateOptions.builder().maxTokens(24).temperature(0.8f).seed(42).build()).text();
            assertTrue(out.contains("generate: Once upon a time" + once + "\n"), out);
            var chat = model.chat().temperature(0).maxTokens(16).build();
            String first = chat.send("The little dog").text();
            String second = chat.send("Then the cat").text();
            assertTrue(out.contains("chat: " + first + "\n"), out);
            assertTrue(out.contains("chat: " + second + " [MAX_TOKENS]") || out.contains("chat: " + second + " [END_OF_GENERATION]"), out);
        }
    }
}
