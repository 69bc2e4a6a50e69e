package dev.vera4j.tools;

import dev.vera4j.tools.hub.FakeHub;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** {@code vera4j pull}, {@code models}, {@code rm} and {@code -m hf:...} against a fake hub and the cache. */
class HubCommandsTest {
    private static final Path STORIES = TrainCommandTest.SHARED.resolve("models/stories260K.gguf");
    @TempDir Path dir;

    private record Run(int code, String out, String err) {}

    private static Run run(Command c, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code;
        try {
            code = c.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        } catch (UsageException e) {
            code = Cli.EXIT_USAGE;
            err.writeBytes(e.getMessage().getBytes(StandardCharsets.UTF_8));
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Run cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Cli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void pullListRemoveAndThePulledModelRuns() throws Exception {
        try (FakeHub hub = new FakeHub()) {
            hub.put("test/stories-GGUF", "stories260K.gguf", Files.readAllBytes(STORIES));
            Map<String, String> env = Map.of("HF_ENDPOINT", hub.endpoint(), "VERA4J_CACHE", dir.toString(), "HF_HOME", dir.resolve("hf").toString());
            Run pull = run(new PullCommand(env), "test/stories-GGUF");
            assertEquals(0, pull.code(), pull.err());
            Path file = Path.of(pull.out().strip());
            assertEquals(dir.resolve("models/test/stories-GGUF/stories260K.gguf"), file);
            assertTrue(pull.err().contains("downloaded stories260K.gguf"), pull.err());
            assertEquals(-1, Files.mismatch(STORIES, file));

            Run again = run(new PullCommand(env), "test/stories-GGUF");
            assertTrue(again.err().contains("stories260K.gguf is already in the cache"), again.err());

            Run gen = cli("generate", "-m", file.toString(), "-p", "Once upon a time", "-n", "4", "--temp", "0", "--quiet");
            assertEquals(0, gen.code(), gen.err());

            Run list = run(new ModelsCommand(env));
            assertTrue(list.out().startsWith("test/stories-GGUF/stories260K.gguf"), list.out());
            assertTrue(list.err().startsWith("1 file, "), list.err());

            Run rm = run(new RmCommand(env), "test/stories-GGUF");
            assertEquals("removed test/stories-GGUF/stories260K.gguf\n", rm.out());
            assertFalse(Files.exists(dir.resolve("models/test")));
            assertTrue(run(new ModelsCommand(env)).err().startsWith("no models in "));
            assertEquals(Cli.EXIT_ERROR, run(new RmCommand(env), "test/stories-GGUF").code());
        }
    }

    @Test
    void badReferencesAreUsageErrors() {
        Map<String, String> env = Map.of("VERA4J_CACHE", dir.toString());
        Run r = run(new PullCommand(env), "no-slash");
        assertEquals(Cli.EXIT_USAGE, r.code());
        assertTrue(r.err().startsWith("expected a Hugging Face repository owner/name"), r.err());
        Run m = cli("generate", "-m", "hf:bad", "-p", "x");
        assertEquals(Cli.EXIT_USAGE, m.code());
    }

    /** {@code -m hf:...} in a real command takes the model from $VERA4J_CACHE (surefire points it into target) without the network. */
    @Test
    void dashMHfUsesTheCache() throws Exception {
        Path cached = Path.of(System.getenv("VERA4J_CACHE"), "models", "test", "cached-GGUF", "stories260K-F32.gguf");
        Files.createDirectories(cached.getParent());
        Files.copy(STORIES, cached, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try {
            Run gen = cli("generate", "-m", "hf:test/cached-GGUF", "-p", "Once upon a time", "-n", "4", "--temp", "0", "--quiet");
            assertEquals(0, gen.code(), gen.err());
            Run file = cli("generate", "-m", "hf:test/cached-GGUF/stories260K-F32.gguf", "-p", "Once upon a time", "-n", "4", "--temp", "0", "--quiet");
            assertEquals(gen.out(), file.out());
            Run inspect = cli("inspect", "hf:test/cached-GGUF:F32");
            assertEquals(0, inspect.code(), inspect.err());
            assertTrue(inspect.out().contains("llama"), inspect.out());
        } finally {
            Files.deleteIfExists(cached);
        }
    }

}
