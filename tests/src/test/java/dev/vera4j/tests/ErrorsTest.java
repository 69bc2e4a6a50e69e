package dev.vera4j.tests;

import dev.vera4j.cuda.Devices;
import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufValue;
import dev.vera4j.gguf.GgufWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.vera4j.tests.ChatCommandTest.cli;
import static dev.vera4j.tests.ChatCommandTest.jar;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Every user error gets one clear {@code error:} line and the right exit code (1 runtime, 2 usage). */
class ErrorsTest {
    private static final Path SHARED = Path.of(System.getProperty("vera4j.shared", "../shared"));
    private static final String STORIES = SHARED.resolve("models/stories260K.gguf").toString();
    private static final Path PEFT = Path.of("../vera/src/test/resources/dev/vera4j/vera/stories/stories-vera");

    @TempDir Path tmp;

    /** Asserts the exit code and that stderr has exactly one {@code error:} line containing {@code text}. */
    private static void assertError(ChatCommandTest.Result r, int code, String text) {
        assertEquals(code, r.code(), r.err());
        List<String> errors = r.err().lines().filter(l -> l.startsWith("error: ")).toList();
        assertEquals(1, errors.size(), r.err());
        assertTrue(errors.getFirst().contains(text), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    @Test
    void badModelFiles() throws Exception {
        Path text = tmp.resolve("notes.gguf");
        Files.writeString(text, "these are not weights");
        Path empty = tmp.resolve("empty.gguf");
        Files.write(empty, new byte[0]);
        for (String cmd : new String[] {"chat", "generate"}) {
            String[] p = cmd.equals("chat") ? new String[0] : new String[] {"-p", "x"};
            assertError(cli("", ChatCommandTest.concat(new String[] {cmd, "-m", tmp.resolve("missing.gguf").toString()}, p)), 1, "no such file");
            assertError(cli("", ChatCommandTest.concat(new String[] {cmd, "-m", tmp.toString()}, p)), 1, "is a directory");
            assertError(cli("", ChatCommandTest.concat(new String[] {cmd, "-m", text.toString()}, p)), 1, "not a GGUF file");
            assertError(cli("", ChatCommandTest.concat(new String[] {cmd, "-m", empty.toString()}, p)), 1, "empty.gguf");
        }
    }

    /**
     * {@code --device cuda} reaches the CUDA backend: without an NVIDIA driver (CI, build machines) every command that
     * loads a model names the missing driver in one runtime error line.
     */
    @Test
    void cudaWithoutADriver() {
        String noDriver = "no NVIDIA driver found (libcuda.so.1 is not on the library path)";
        assumeTrue(noDriver.equals(Devices.list().noGpu()), "this machine has an NVIDIA driver: " + Devices.list().lines());
        assertError(cli("", "generate", "-m", STORIES, "-p", "Hi", "--device", "cuda"), 1, noDriver);
        assertError(cli("", "chat", "-m", STORIES, "--device", "cuda:1"), 1, noDriver);
        assertError(cli("", "bench", "-m", STORIES, "-p", "8", "-n", "8", "--device", "cuda"), 1, noDriver);
        assertError(cli("", "serve", "-m", STORIES, "--port", "0", "--device", "cuda"), 1, noDriver);
    }

    /** A device kind without a backend in this build is a runtime error; a malformed device name a usage error. */
    @Test
    void devicesWithoutABackend() {
        assertError(cli("", "generate", "-m", STORIES, "-p", "Hi", "--device", "tpu"), 1, "no TPU backend in this build");
        assertError(cli("", "generate", "-m", STORIES, "-p", "Hi", "--device", "cuda:x"), 2, "--device");
        assertEquals(0, cli("", "generate", "-m", STORIES, "-p", "Hi", "-n", "4", "--device", "cpu", "--quiet").code());
    }

    @Test
    void unsupportedArchitecture() throws Exception {
        Path mamba = tmp.resolve("mamba.gguf");
        try (GgufFile f = GgufFile.open(Path.of(STORIES))) {
            GgufWriter.copyOf(f).put("general.architecture", GgufValue.ofString("mamba")).write(mamba);
        }
        assertError(cli("", "generate", "-m", mamba.toString(), "-p", "x"), 1, "mamba");
        assertError(cli("", "chat", "-m", mamba.toString()), 1, "mamba");
    }

    @Test
    void unsupportedTensorType() throws Exception {
        // blk.0.attn_q.weight stored as I8: a valid GGUF tensor type that no kernel or codec of vera4j handles
        Path i8 = tmp.resolve("i8.gguf");
        try (GgufFile f = GgufFile.open(Path.of(STORIES)); Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = arena.allocate(64 * 64);
            GgufWriter.copyOf(f).removeTensor("blk.0.attn_q.weight")
                    .addTensor("blk.0.attn_q.weight", GgmlType.I8, new long[] {64, 64}, bytes).write(i8);
        }
        assertError(cli("", "generate", "-m", i8.toString(), "-p", "x"), 1, "I8");
        assertError(cli("", "chat", "-m", i8.toString()), 1, "I8");
    }

    @Test
    void adapterForAnotherBaseModel() {
        Path merged = tmp.resolve("merged.gguf");
        assertEquals(0, cli("", "merge", "-m", STORIES, "--adapter", PEFT + ":0.5", "-o", merged.toString()).code());
        Path adapter = tmp.resolve("a.gguf");
        assertEquals(0, cli("", "adapter", "import", PEFT.toString(), "-m", STORIES, "-o", adapter.toString()).code());
        assertError(cli("", "chat", "-m", merged.toString(), "--adapter", adapter.toString()), 1, "fingerprint");
        assertError(cli("", "generate", "-m", merged.toString(), "-p", "x", "--adapter", adapter.toString()), 1, "fingerprint");
        assertError(cli("", "chat", "-m", STORIES, "--adapter", tmp.resolve("none.gguf").toString()), 1, "does not exist");
        // inside the REPL the error is reported and the chat goes on
        ChatCommandTest.Result r = cli("/adapter " + adapter + "\n/adapter " + STORIES + "\n/adapter\n", "chat", "-m", merged.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("fingerprint"), r.err());
        assertTrue(r.out().contains("adapter: none"), r.out());
    }

    @Test
    void badFlagValuesAndUnknownFlags() {
        String[][] bad = {
                {"chat", "-m", STORIES, "--temp", "abc"}, {"chat", "-m", STORIES, "--top-p", "2"}, {"chat", "-m", STORIES, "--ctx", "0"},
                {"chat", "-m", STORIES, "-t", "0"}, {"chat", "-m", STORIES, "--kv-type", "q4"}, {"chat", "-m", STORIES, "-n", "x"},
                {"chat", "-m", STORIES, "--seed", "1.5"}, {"chat", "-m", STORIES, "stray"},
                {"chat"},
                {"generate", "-m", STORIES, "-p", "x", "--temp", "-1"}, {"generate", "-m", STORIES, "-p", "x", "--top-k", "many"},
                {"generate", "-m", STORIES, "-p", "x", "--ctx", "-5"}};
        for (String[] args : bad) {
            ChatCommandTest.Result r = cli("", args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
            assertTrue(r.err().startsWith("error: ") && r.err().contains("usage: vera4j " + args[0]), r.err());
        }
        assertTrue(cli("", "chat", "-m", STORIES, "--temp", "abc").err().startsWith("error: --temp expects a number, got 'abc'"));
        for (String cmd : commands()) {
            ChatCommandTest.Result r = cli("", cmd, "--no-such-flag");
            assertEquals(2, r.code(), cmd + ": " + r.err());
            assertTrue(r.err().startsWith("error: unknown option '--no-such-flag'"), cmd + ": " + r.err());
        }
        assertError(cli("", "frobnicate"), 2, "unknown command 'frobnicate'");
    }

    /** Every command registered in the CLI, as {@code vera4j --help} lists them. */
    private static List<String> commands() {
        ChatCommandTest.Result r = cli("", "--help");
        assertEquals(0, r.code());
        List<String> names = r.out().lines().filter(l -> l.startsWith("  ")).map(l -> l.trim().split("\\s+")[0]).toList();
        assertTrue(names.containsAll(List.of("chat", "generate", "inspect", "merge")), names.toString());
        return names;
    }

    @Test
    void everyCommandHasHelpWithExamples() {
        for (String cmd : commands()) {
            for (String flag : new String[] {"--help", "-h"}) {
                ChatCommandTest.Result r = cli("", cmd, flag);
                assertEquals(0, r.code(), cmd + " " + flag + ": " + r.err());
                assertTrue(r.out().startsWith("usage: vera4j " + cmd), cmd + ": " + r.out());
                assertTrue(r.out().contains("examples:") && r.out().contains("  vera4j " + cmd + " "), cmd + ": " + r.out());
            }
        }
    }

    @Test
    void theJarReportsErrorsWithExitCodes() throws Exception {
        ChatCommandTest.Result missing = jar("", "chat", "-m", tmp.resolve("nope.gguf").toString());
        assertError(missing, 1, "no such file");
        ChatCommandTest.Result flag = jar("", "generate", "-m", STORIES, "--frobnicate");
        assertError(flag, 2, "unknown option '--frobnicate'");
        // Cli directly (no relaunch) on a JVM without jdk.incubator.vector: a clear error, not a NoClassDefFoundError
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("vera4j.jar", "../tools/target/vera4j.jar"), "dev.vera4j.tools.Cli", "generate", "-m", STORIES, "-p", "x")
                .redirectErrorStream(true).start();
        String noVector = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(1, p.exitValue(), noVector);
        assertTrue(noVector.startsWith("error: the Vector API module is not active: start java with --add-modules jdk.incubator.vector"), noVector);
        ChatCommandTest.Result help = jar("", "chat", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("examples:"));
    }
}
