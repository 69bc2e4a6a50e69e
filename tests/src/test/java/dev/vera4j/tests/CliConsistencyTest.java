package dev.vera4j.tests;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.vera4j.tests.ChatCommandTest.cli;
import static org.junit.jupiter.api.Assertions.*;

/** The commands take the same things the same way, and say what they do with them. */
class CliConsistencyTest {
    private static final Path SHARED = Path.of(System.getProperty("vera4j.shared", "../shared"));
    private static final String STORIES = SHARED.resolve("models/stories260K.gguf").toString();
    static final Path PEFT = Path.of("../vera/src/test/resources/dev/vera4j/vera/stories/stories-vera");

    @TempDir Path tmp;

    /** As {@code template} and {@code train}, {@code chat} (and {@code generate --chat}) take a Jinja file. */
    @Test
    void chatTemplateFromAFile() throws Exception {
        Path jinja = tmp.resolve("turns.jinja");
        Files.writeString(jinja, "{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}");
        ChatCommandTest.Result r = cli("Once upon a time\n", "chat", "-m", STORIES, "--chat-template", jinja.toString(), "--temp", "0", "-n", "4");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("chat template: turns.jinja"), r.err());

        ChatCommandTest.Result g = cli("", "generate", "-m", STORIES, "--chat", "--chat-template", jinja.toString(), "-p", "Hi", "-n", "4", "--temp", "0");
        assertEquals(0, g.code(), g.err());
        assertFalse(g.err().contains("falls back"), g.err());

        ChatCommandTest.Result bad = cli("", "chat", "-m", STORIES, "--chat-template", tmp.resolve("nope.jinja").toString());
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("unknown chat template") && bad.err().contains("or a Jinja file"), bad.err());
    }

    /** {@code /load} reads a bare message array, as {@code template --messages} does, as well as {@code {"messages": [...]}}. */
    @Test
    void loadTakesABareArray() throws Exception {
        Path bare = tmp.resolve("bare.json"), wrapped = tmp.resolve("wrapped.json");
        Files.writeString(bare, "[{\"role\": \"user\", \"content\": \"Once\"}, {\"role\": \"assistant\", \"content\": \"upon\"}]");
        Files.writeString(wrapped, "{\"messages\": [{\"role\": \"user\", \"content\": \"Once\"}]}");
        ChatCommandTest.Result r = cli("/load " + bare + "\n/load " + wrapped + "\n", "chat", "-m", STORIES, "--temp", "0", "-n", "4", "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("loaded 2 messages from " + bare), r.out() + r.err());
        assertTrue(r.out().contains("loaded 1 messages from " + wrapped), r.out() + r.err());
    }

    @Test
    void generateChatSaysItFallsBackToPlainText() {
        ChatCommandTest.Result r = cli("", "generate", "-m", STORIES, "--chat", "-p", "Once upon a time", "-n", "4", "--temp", "0");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("note: stories260K.gguf has no chat template: --chat falls back to plain text"), r.err());
        assertFalse(cli("", "generate", "-m", STORIES, "--chat", "-p", "Hi", "-n", "2", "--quiet").err().contains("note:"));
    }

    @Test
    void badAdapterWeightIsNamed() {
        for (String cmd : new String[] {"generate", "chat", "bench"}) {
            ChatCommandTest.Result r = cmd.equals("chat") ? cli("", cmd, "-m", STORIES, "--adapter", PEFT + ":abc")
                    : cli("", cmd, "-m", STORIES, "-p", "8", "--adapter", PEFT + ":abc");
            assertEquals(2, r.code(), cmd + ": " + r.err());
            assertTrue(r.err().startsWith("error: --adapter " + PEFT + ":abc: the weight 'abc' is not a number"), cmd + ": " + r.err());
        }
        ChatCommandTest.Result r = cli("", "generate", "-m", STORIES, "-p", "Hi", "--adapter", PEFT + ":Infinity");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("finite"), r.err());
    }

    /** A bad value is reported under the flag the user typed, not an internal name. */
    @Test
    void badValuesNameTheFlagAsGiven() {
        assertTrue(cli("", "generate", "-m", STORIES, "-p", "Hi", "-n", "-5").err().startsWith("error: -n must be between -1 and"));
        assertTrue(cli("", "generate", "-m", STORIES, "-p", "Hi", "--n-predict", "-5").err().startsWith("error: --n-predict must be between -1 and"));
        assertTrue(cli("", "chat", "-m", STORIES, "-n", "-5").err().startsWith("error: -n must be between -1 and"));
        assertTrue(cli("", "bench", "-m", STORIES, "-n", "x").err().startsWith("error: -n expects an integer, got 'x'"));
        assertTrue(cli("", "generate", "-m", STORIES, "-p", "Hi", "-t", "0").err().startsWith("error: -t must be between 1 and 1024"));
    }

    @Test
    void moreThreadsThanProcessorsWarns() {
        int over = Runtime.getRuntime().availableProcessors() + 1;
        ChatCommandTest.Result r = cli("", "generate", "-m", STORIES, "-p", "Hi", "-n", "2", "-t", Integer.toString(over), "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().startsWith("warning: -t " + over + " is more than the " + (over - 1) + " processors here"), r.err());
        r = cli("", "generate", "-m", STORIES, "-p", "Hi", "-n", "2", "-t", "1", "--quiet");
        assertFalse(r.err().contains("warning"), r.err());
    }

    @Test
    void benchShowsProgress() {
        ChatCommandTest.Result r = cli("", "bench", "-m", STORIES, "-p", "8", "-n", "4", "-r", "2", "-t", "1");
        assertEquals(0, r.code(), r.err());
        for (String line : List.of("pp8: warm-up...", "pp8: run 1/2, ", "pp8: run 2/2, ", "tg4: warm-up...", "tg4: run 2/2, ")) {
            assertTrue(r.err().contains(line), line + " in " + r.err());
        }
        assertFalse(r.out().contains("run 1/2"), "progress stays off stdout (the table or JSON)");
    }

    /** Every flag of the synopsis is described on a line of its own in {@code --help}. */
    @Test
    void helpDescribesEachFlag() {
        for (String cmd : new String[] {"generate", "bench", "chat"}) {
            ChatCommandTest.Result r = cli("", cmd, "--help");
            assertEquals(0, r.code(), r.err());
            List<String> lines = r.out().lines().toList();
            String usage = lines.getFirst();
            List<String> body = lines.subList(1, lines.size()).stream().filter(l -> l.startsWith("  -")).toList();
            Matcher m = Pattern.compile("(?<=[\\[( ])(--?[a-z][a-z-]*)").matcher(usage);
            List<String> missing = new ArrayList<>();
            while (m.find()) {
                String flag = m.group(1);
                if (body.stream().noneMatch(l -> Pattern.compile("(^|[ ,;/(])" + Pattern.quote(flag) + "([ ,=;/)]|$)").matcher(l).find())) missing.add(flag);
            }
            assertEquals(List.of(), missing, cmd + " --help lacks a description of these flags:\n" + r.out());
        }
    }
}
