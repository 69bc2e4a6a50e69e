package dev.vera4j.tools;

import dev.vera4j.vera.AdapterFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** {@code vera4j train} end to end on stories260K and the Pip stories (a short run: it must stay fast). */
class TrainCommandTest {
    static final Path SHARED = Path.of(System.getProperty("vera4j.shared", "../shared"));
    static final Path MODEL = SHARED.resolve("models/stories260K.gguf");
    @TempDir Path dir;

    record Run(int code, String out, String err) {}

    static Run cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Cli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void validationLossDropsOnPipStories() throws Exception {
        String valid = Files.readString(SHARED.resolve("testdata/finetune/pip-stories.valid.txt"));
        Path v = dir.resolve("valid.txt");
        Files.writeString(v, String.join("\n\n", List.of(valid.split("\\R\\s*\\R")).subList(0, 16)));
        Path out = dir.resolve("pip.vera.gguf"), log = dir.resolve("run.jsonl");
        Run r = cli("train", "-m", MODEL.toString(), "--data", SHARED.resolve("testdata/finetune/pip-stories.train.txt").toString(),
                "--valid", v.toString(), "-o", out.toString(), "--rank", "32", "--targets", "q,k,v,o,gate,up,down",
                "--lr", "3e-2", "--seq", "64", "--batch", "4", "--steps", "16", "--eval-every", "16", "--seed", "0",
                "-t", "1", "--log", log.toString());
        assertEquals(0, r.code(), r.err());
        Matcher m = Pattern.compile("eval at step (\\d+): loss ([0-9.]+)").matcher(r.out());
        assertTrue(m.find(), r.out());
        assertEquals("0", m.group(1));
        double before = Double.parseDouble(m.group(2));
        assertTrue(m.find(), r.out());
        double after = Double.parseDouble(m.group(2));
        assertTrue(after < 0.75 * before, "validation loss " + before + " -> " + after + "\n" + r.out());
        assertTrue(r.out().contains("memory: about"), r.out());
        AdapterFile a = AdapterFile.read(out);
        assertEquals(32, a.config().rank());
        assertEquals(5 * 7, a.lambdas().size());
        assertTrue(Files.exists(Path.of(out + ".ckpt")));
        List<String> lines = Files.readAllLines(log);
        assertEquals(16 + 2, lines.size(), "16 steps and 2 evaluations");
        assertTrue(lines.get(1).startsWith("{\"step\":1,\"loss\":"), lines.get(1));
    }

    /** {@code --method lora}: the same pipeline trains A and B; validation loss drops and generate shows the style. */
    @Test
    void loraValidationLossDropsAndGenerateUsesIt() throws Exception {
        String valid = Files.readString(SHARED.resolve("testdata/finetune/pip-stories.valid.txt"));
        Path v = dir.resolve("valid.txt");
        Files.writeString(v, String.join("\n\n", List.of(valid.split("\\R\\s*\\R")).subList(0, 16)));
        Path out = dir.resolve("pip.lora.gguf");
        Run r = cli("train", "-m", MODEL.toString(), "--data", SHARED.resolve("testdata/finetune/pip-stories.train.txt").toString(),
                "--valid", v.toString(), "-o", out.toString(), "--method", "lora", "--rank", "4", "--targets", "q,k,v,o,gate,up,down",
                "--lr", "1e-2", "--seq", "64", "--batch", "4", "--steps", "16", "--eval-every", "16", "--seed", "0", "-t", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("LoRA r=4 alpha=4.0"), r.out());
        Matcher m = Pattern.compile("eval at step (\\d+): loss ([0-9.]+)").matcher(r.out());
        assertTrue(m.find(), r.out());
        double before = Double.parseDouble(m.group(2));
        assertTrue(m.find(), r.out());
        double after = Double.parseDouble(m.group(2));
        assertTrue(after < 0.75 * before, "validation loss " + before + " -> " + after + "\n" + r.out());
        dev.vera4j.vera.lora.LoraFile lora = dev.vera4j.vera.lora.LoraFile.read(out);
        assertEquals(5 * 7, lora.sites().size());
        assertTrue(lora.base().isPresent(), "a trained LoRA records its base");
        Run g = cli("generate", "-m", MODEL.toString(), "--adapter", out.toString(), "-p", "Once upon a time", "-n", "24", "--temp", "0", "--quiet");
        assertEquals(0, g.code(), g.err());
        Run base = cli("generate", "-m", MODEL.toString(), "-p", "Once upon a time", "-n", "24", "--temp", "0", "--quiet");
        assertNotEquals(base.out(), g.out(), "the adapter changes the greedy text");
        Run bad = cli("train", "-m", MODEL.toString(), "--data", v.toString(), "-o", dir.resolve("x.gguf").toString(), "--method", "dora");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--method must be lora or vera"), bad.err());
    }

    /** LoRA's A, B and AdamW moments go through the checkpoint: 2 + 2 resumed steps write the 4-step run's file. */
    @Test
    void loraResumeIsBitIdentical() throws Exception {
        String data = SHARED.resolve("testdata/finetune/pip-stories.train.txt").toString();
        Path whole = dir.resolve("whole.lora.gguf"), resumed = dir.resolve("resumed.lora.gguf");
        List<String> args = List.of("train", "-m", MODEL.toString(), "--data", data, "--method", "lora", "--rank", "2",
                "--targets", "q,v,down", "--seq", "48", "--batch", "2", "--seed", "3", "-t", "1");
        for (String[] more : new String[][] {{"-o", whole.toString(), "--steps", "4"}, {"-o", resumed.toString(), "--steps", "2"},
                {"-o", resumed.toString(), "--steps", "4", "--resume"}}) {
            List<String> a = new java.util.ArrayList<>(args);
            a.addAll(List.of(more));
            Run r = cli(a.toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
        }
        assertEquals(-1, Files.mismatch(whole, resumed), "the resumed LoRA differs from the uninterrupted one");
        Run r = cli("train", "-m", MODEL.toString(), "--data", data, "--rank", "2", "--targets", "q,v,down", "--seq", "48",
                "--batch", "2", "--seed", "3", "-t", "1", "-o", resumed.toString(), "--steps", "6", "--resume");
        assertNotEquals(0, r.code(), "a VeRA run does not resume a LoRA checkpoint");
    }

    /**
     * With {@code --dropout} the masks follow (seed, step, example), not a generator's state: 2 + 2 resumed steps write
     * the 4-step run's bytes, the same run twice writes the same bytes, and the adapter differs from the one trained
     * without dropout (so the masks did act).
     */
    @Test
    void loraDropoutResumeIsBitIdentical() throws Exception {
        String data = SHARED.resolve("testdata/finetune/pip-stories.train.txt").toString();
        Path whole = dir.resolve("drop-whole.lora.gguf"), again = dir.resolve("drop-again.lora.gguf"),
                resumed = dir.resolve("drop-resumed.lora.gguf"), plain = dir.resolve("plain.lora.gguf");
        List<String> args = List.of("train", "-m", MODEL.toString(), "--data", data, "--method", "lora", "--rank", "2",
                "--targets", "q,v,down", "--seq", "48", "--batch", "2", "--seed", "3", "-t", "1", "--lr", "0.05");
        for (String[] more : new String[][] {{"-o", whole.toString(), "--steps", "4", "--dropout", "0.3"},
                {"-o", again.toString(), "--steps", "4", "--dropout", "0.3"},
                {"-o", resumed.toString(), "--steps", "2", "--dropout", "0.3"},
                {"-o", resumed.toString(), "--steps", "4", "--dropout", "0.3", "--resume"},
                {"-o", plain.toString(), "--steps", "4"}}) {
            List<String> a = new java.util.ArrayList<>(args);
            a.addAll(List.of(more));
            Run r = cli(a.toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
        }
        assertEquals(-1, Files.mismatch(whole, again), "two runs with the same seed and dropout differ");
        assertEquals(-1, Files.mismatch(whole, resumed), "the resumed LoRA with dropout differs from the uninterrupted one");
        assertNotEquals(-1, Files.mismatch(whole, plain), "dropout changed nothing");
        Path peft = dir.resolve("drop-peft"), plainPeft = dir.resolve("plain-peft");
        assertEquals(0, cli("adapter", "export", whole.toString(), "-o", peft.toString()).code());
        assertEquals(0, cli("adapter", "export", plain.toString(), "-o", plainPeft.toString()).code());
        assertTrue(Files.readString(peft.resolve("adapter_config.json")).matches("(?s).*\"lora_dropout\"\\s*:\\s*0\\.3\\b.*"),
                "PEFT config records lora_dropout 0.3");
        assertTrue(Files.readString(plainPeft.resolve("adapter_config.json")).matches("(?s).*\"lora_dropout\"\\s*:\\s*0\\.0\\b.*"),
                "PEFT config records lora_dropout 0.0");
        List<String> a = new java.util.ArrayList<>(args);
        a.addAll(List.of("-o", resumed.toString(), "--steps", "6", "--resume"));
        assertNotEquals(0, cli(a.toArray(String[]::new)).code(), "a run without dropout does not resume one with");
        Run vera = cli("train", "-m", MODEL.toString(), "--data", data, "-o", dir.resolve("v.gguf").toString(), "--dropout", "0.1");
        assertEquals(2, vera.code());
        assertTrue(vera.err().contains("--dropout is LoRA's"), vera.err());
    }

    @Test
    void refusesWhatDoesNotFit() throws Exception {
        Path data = dir.resolve("d.txt");
        Files.writeString(data, "Once upon a time.\n");
        Run r = cli("train", "-m", MODEL.toString(), "--data", data.toString(), "-o", dir.resolve("x.gguf").toString(), "--resume");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no checkpoint"), r.err());
        r = cli("train", "-m", MODEL.toString(), "--data", data.toString(), "-o", dir.resolve("x.gguf").toString(), "--targets", "q,xx");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown VeRA target 'xx'"), r.err());
        r = cli("train", "-m", MODEL.toString(), "--data", data.toString(), "-o", dir.resolve("x.gguf").toString(), "--steps", "2", "--epochs", "1");
        assertEquals(2, r.code());
    }

    /** SIGTERM (like Ctrl-C) runs the shutdown hook: the current step finishes and adapter + checkpoint are saved. */
    @Test
    void terminationSavesACheckpoint() throws Exception {
        Path out = dir.resolve("sig.vera.gguf");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "dev.vera4j.tools.Main", "train", "-m", MODEL.toString(),
                "--data", SHARED.resolve("testdata/finetune/pip-stories.train.txt").toString(), "-o", out.toString(),
                "--rank", "8", "--seq", "32", "--batch", "1", "--steps", "100000", "--log-every", "1", "-t", "1")
                .redirectErrorStream(true).start();
        var reader = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        String line;
        while ((line = reader.readLine()) != null) {
            seen.append(line).append('\n');
            if (line.startsWith("step 3/")) break;
        }
        assertNotNull(line, seen.toString());
        p.toHandle().destroy();   // SIGTERM, keeping our end of its output open
        while ((line = reader.readLine()) != null) seen.append(line).append('\n');
        p.waitFor();
        assertTrue(seen.toString().contains("stopped after"), seen.toString());
        assertTrue(Files.exists(out) && Files.exists(Path.of(out + ".ckpt")), seen.toString());
        long step = dev.vera4j.vera.train.Checkpoint.read(Path.of(out + ".ckpt")).step();
        assertTrue(step >= 3 && step < 100000, "saved at step " + step);
    }

    /**
     * {@code --resume} continues bit for bit in a new process, whatever the JIT has compiled by then: 4 steps here
     * (this JVM, warm) against 2 steps in one child JVM and 2 more resumed in another that only has C1, whose vector
     * code differs most from C2's (no intrinsics; {@code reduceLanes} adds the lanes in sequence there).
     */
    @Test
    void resumeInANewProcessIsBitIdentical() throws Exception {
        String data = SHARED.resolve("testdata/finetune/pip-stories.train.txt").toString();
        Path whole = dir.resolve("whole.vera.gguf"), resumed = dir.resolve("resumed.vera.gguf");
        List<String> args = List.of("train", "-m", MODEL.toString(), "--data", data, "--rank", "16",
                "--targets", "q,k,v,o,gate,up,down", "--seq", "64", "--batch", "2", "--seed", "0", "-t", "2");
        List<String> a = new java.util.ArrayList<>(args);
        a.addAll(List.of("-o", whole.toString(), "--steps", "4"));
        Run r = cli(a.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        child(List.of(), args, "-o", resumed.toString(), "--steps", "2");
        child(List.of("-XX:TieredStopAtLevel=1"), args, "-o", resumed.toString(), "--steps", "4", "--resume");
        assertEquals(-1, Files.mismatch(whole, resumed), "the resumed adapter differs from the uninterrupted one");
    }

    private static void child(List<String> jvm, List<String> args, String... more) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvm);
        cmd.addAll(List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "dev.vera4j.tools.Main"));
        cmd.addAll(args);
        cmd.addAll(List.of(more));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), text);
    }

    @Test
    void csvLogEpochsAndCheckpointing() throws Exception {
        Path data = dir.resolve("d.txt"), log = dir.resolve("run.csv");
        Files.writeString(data, "Once upon a time, Pip beeped.\n\nThe bird sang a song.\n\nThey played in the park.\n");
        Run r = cli("train", "-m", MODEL.toString(), "--data", data.toString(), "-o", dir.resolve("e.gguf").toString(), "--rank", "4",
                "--batch", "2", "--epochs", "2", "--log", log.toString(), "-t", "1", "--checkpointing");
        assertEquals(0, r.code(), r.err());
        List<String> lines = Files.readAllLines(log);
        assertEquals("step,loss,grad_norm,lr_b,lr_d,tokens,elapsed_s,eval_loss", lines.getFirst());
        assertEquals(1 + 3, lines.size(), "2 epochs of 3 documents in batches of 2: 3 steps");
        assertTrue(lines.get(3).startsWith("3,"), lines.get(3));
    }

    /** The memory estimate is checked against -Xmx before anything big is allocated. */
    @Test
    void refusesWhenTheHeapIsTooSmall() throws Exception {
        Path data = dir.resolve("d.txt");
        Files.writeString(data, "Once upon a time.\n");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx48m", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "dev.vera4j.tools.Main", "train", "-m", MODEL.toString(),
                "--data", data.toString(), "-o", dir.resolve("big.gguf").toString(), "--seq", "20000", "-t", "1")
                .redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, p.waitFor(), text);
        assertTrue(text.contains("error: training needs about") && text.contains("-Xmx"), text);
        assertFalse(Files.exists(dir.resolve("big.gguf")));
    }
}
