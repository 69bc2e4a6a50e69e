package dev.vera4j.tests;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.tools.Cli;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.PeftAdapters;
import dev.vera4j.vera.peft.PeftImporter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/** {@code vera4j chat}: driven through stdin in-process ({@link Cli#run}) and as the real jar with a pipe. */
class ChatCommandTest {
    private static final Path SHARED = Path.of(System.getProperty("vera4j.shared", "../shared"));
    private static final Path STORIES = SHARED.resolve("models/stories260K.gguf");
    private static final Path PEFT = Path.of("../vera/src/test/resources/dev/vera4j/vera/stories/stories-vera");

    @TempDir Path tmp;

    record Result(int code, String out, String err) {}

    static Result cli(String input, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Cli.run(args, new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Runs {@code java -jar vera4j.jar ARGS} with {@code input} on stdin. */
    static Result jar(String input, String... args) throws Exception {
        String jar = System.getProperty("vera4j.jar", "../tools/target/vera4j.jar");
        assertTrue(Files.isRegularFile(Path.of(jar)), "build the jar first: " + jar);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar));
        cmd.addAll(List.of(args));
        Path outFile = Files.createTempFile("vera4j-out", ".txt"), errFile = Files.createTempFile("vera4j-err", ".txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(outFile.toFile()).redirectError(errFile.toFile()).start();
        try (var stdin = p.getOutputStream()) {
            stdin.write(input.getBytes(StandardCharsets.UTF_8));
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "vera4j did not finish");
        Result r = new Result(p.exitValue(), Files.readString(outFile), Files.readString(errFile));
        Files.delete(outFile);
        Files.delete(errFile);
        return r;
    }

    private static List<String> lines(String out) { return out.lines().toList(); }

    @Test
    void pipedTurnsAndSlashCommandsThroughTheJar() throws Exception {
        Path adapter = tmp.resolve("stories-vera.gguf");
        PeftAdapters.fromPeft(PeftImporter.read(PEFT), BaseFingerprint.of(STORIES)).write(adapter, GgmlType.F32);
        Path saved = tmp.resolve("talk.json");
        String input = String.join("\n",
                "Once upon a time",
                "/stats",
                "The cat",
                "/stats",
                "/reset",
                "/stats",
                "Once upon a time",
                "/adapter " + adapter,
                "/reset",
                "Once upon a time",
                "/adapter off",
                "/save " + saved,
                "/set temp abc",
                "/frobnicate",
                "/quit",
                "never read") + "\n";
        Result r = jar(input, "chat", "--model", STORIES.toString(), "--temp", "0", "-n", "12", "-t", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("model: ") && r.err().contains("layers") && r.err().contains("threads"), r.err());
        assertTrue(r.err().contains("has no chat template"), r.err());
        List<String> out = lines(r.out());
        // answer, stat, /stats, answer, stat, /stats, "cleared", /stats, answer, stat, adapter on, cleared, answer, stat, adapter off, saved
        String first = out.get(0);
        assertFalse(first.isBlank(), r.out());
        assertTrue(out.get(1).matches("\\[12 tokens, [0-9.]+ tok/s, first token \\d+ ms, length limit]"), out.get(1));
        assertTrue(out.get(2).startsWith("replies 1; prompt "), out.get(2));
        assertTrue(out.get(5).startsWith("replies 2; "), out.get(5));
        int contextAfterTwo = Integer.parseInt(out.get(5).replaceAll(".*context (\\d+)/.*", "$1"));
        assertTrue(contextAfterTwo > 24, out.get(5));
        assertEquals("conversation cleared", out.get(6));
        assertTrue(out.get(7).contains("context 0/"), out.get(7));
        assertEquals(first, out.get(8), "after /reset the same greedy answer");
        assertTrue(out.get(10).startsWith("adapter stories-vera.gguf on"), out.get(10));
        assertNotEquals(first, out.get(12), "the adapter changes the greedy answer");
        assertEquals("adapter off", out.get(14));
        assertTrue(out.get(15).startsWith("saved 2 messages"), out.get(15));
        assertTrue(r.err().contains("error: temp expects a number, got 'abc'"), r.err());
        assertTrue(r.err().contains("error: unknown command /frobnicate"), r.err());
        assertFalse(r.out().contains("never read"));
        String json = Files.readString(saved);
        assertTrue(json.contains("\"role\": \"user\"") && json.contains("Once upon a time"), json);
    }

    @Test
    void inProcessChatWithSeedIsDeterministicAndLoadRestoresAConversation() throws Exception {
        String[] args = {"chat", "-m", STORIES.toString(), "--temp", "0.8", "--seed", "7", "-n", "10", "-t", "1", "--quiet"};
        Result a = cli("Lily went\nto the\n", args);
        Result b = cli("Lily went\nto the\n", args);
        assertEquals(0, a.code(), a.err());
        assertEquals("", a.err(), "--quiet prints nothing else");
        assertEquals(a.out(), b.out());
        assertEquals(2, a.out().lines().count(), a.out());   // no stat lines with --quiet

        Path talk = tmp.resolve("t.json");
        Result saved = cli("Lily went\n/save " + talk + "\n", args);
        assertEquals(0, saved.code(), saved.err());
        // a loaded conversation continues exactly like the live one
        Result loaded = cli("/load " + talk + "\nto the\n", args);
        assertEquals(0, loaded.code(), loaded.err());
        assertEquals(a.out().lines().toList().get(1), loaded.out().lines().toList().get(1), loaded.out());
        assertTrue(cli("/load " + tmp.resolve("missing.json") + "\n", args).err().contains("error: cannot read"));
    }

    @Test
    void aFullContextDropsOldTurnsWithANote() {
        Result r = cli("The dog ran to the park\n".repeat(6), "chat", "-m", STORIES.toString(), "--temp", "0", "-n", "10", "-t", "1", "--ctx", "64");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("oldest messages to fit the context of 64 tokens]"), r.out());
        Result tooLong = cli("word ".repeat(100) + "\n/stats\n", "chat", "-m", STORIES.toString(), "-n", "4", "-t", "1", "--ctx", "32");
        assertEquals(0, tooLong.code());
        assertTrue(tooLong.err().contains("error: the message needs ") && tooLong.err().contains("context holds 32"), tooLong.err());
        assertTrue(tooLong.out().contains("replies 0;"), tooLong.out());
    }

    @Test
    void namedTemplateAndSystemPrompt() {
        Result r = cli("Hello\n/system Be kind.\nHello\n/stats\n", "chat", "-m", STORIES.toString(), "--chat-template", "chatml",
                "--temp", "0", "-n", "5", "-t", "1", "--system", "You are a storyteller.");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("chat template: chatml"), r.err());
        assertTrue(r.out().contains("system prompt set; conversation cleared"), r.out());
        assertTrue(r.out().contains("replies 2;"), r.out());
        Result bad = cli("", "chat", "-m", STORIES.toString(), "--chat-template", "nope");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("error: unknown chat template 'nope'"), bad.err());
    }

    @Test
    void generateReadsThePromptFromStdinAFileOrAChatTemplate() throws Exception {
        String[] base = {"generate", "-m", STORIES.toString(), "-n", "8", "--temp", "0", "-t", "1", "--quiet"};
        Result p = cli("", concat(base, "-p", "Once upon a time"));
        Result stdin = cli("Once upon a time\n", base);
        Result dash = cli("Once upon a time\n", concat(base, "-p", "-"));
        Path f = tmp.resolve("prompt.txt");
        Files.writeString(f, "Once upon a time\n");
        Result file = cli("", concat(base, "-f", f.toString()));
        assertEquals(0, p.code(), p.err());
        assertEquals(p.out(), stdin.out());
        assertEquals(p.out(), dash.out());
        assertEquals(p.out(), file.out());
        assertTrue(p.out().startsWith("Once upon a time"));
        Result chat = cli("", concat(base, "-p", "Hi", "--chat", "--chat-template", "llama-2", "--system", "Be brief.", "--json"));
        assertEquals(0, chat.code(), chat.err());
        assertTrue(chat.out().contains("\"prompt_ids\""), chat.out());
        assertEquals(2, cli("", concat(base, "-p", "x", "--system", "y")).code());
        assertEquals(2, cli("", concat(base, "-p", "x", "-f", f.toString())).code());
        Result verbose = cli("", "generate", "-m", STORIES.toString(), "-p", "Once", "-n", "2", "-t", "1", "--verbose");
        assertTrue(verbose.err().contains("loaded in ") && verbose.err().contains("SIMD ") && verbose.err().contains("memory ~"), verbose.err());
        assertTrue(verbose.err().contains("prompt: ") && verbose.err().contains("tokens/s"), verbose.err());
        Result none = cli("", base);
        assertEquals(2, none.code());
        assertTrue(none.err().contains("missing -p PROMPT"), none.err());
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void ctrlCStopsTheAnswerAndTheChatGoesOn() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        boolean[] raised = {false};
        // a real SIGINT, raised as soon as the answer starts streaming: the REPL's handler must cancel it, not exit
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8) {
            @Override
            public void print(String s) {
                super.print(s);
                if (!raised[0] && !s.isEmpty() && !s.startsWith("[")) {
                    raised[0] = true;
                    sun.misc.Signal.raise(new sun.misc.Signal("INT"));
                    try {
                        Thread.sleep(200);   // let the signal thread run before the next token, however fast the model
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        String input = "Once upon a time\n/stats\n";
        int code = Cli.run(new String[] {"chat", "-m", STORIES.toString(), "--temp", "0", "-n", "-1", "-t", "1"},
                new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), out, new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        assertTrue(raised[0]);
        String stat = text.lines().filter(l -> l.startsWith("[")).findFirst().orElseThrow();
        assertTrue(stat.endsWith(", stopped]"), text);
        int tokens = Integer.parseInt(stat.replaceAll("\\[(\\d+) tokens.*", "$1"));
        assertTrue(tokens < 100, stat);
        assertTrue(text.contains("replies 1;"), text);
    }
}
