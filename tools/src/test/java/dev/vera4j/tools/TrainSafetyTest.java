package dev.vera4j.tools;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import static dev.vera4j.tools.TrainCommandTest.MODEL;
import static dev.vera4j.tools.TrainCommandTest.SHARED;
import static dev.vera4j.tools.TrainCommandTest.cli;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code train} checks {@code -o} before the first step and never replaces an adapter or checkpoint unasked. */
class TrainSafetyTest {
    @TempDir Path dir;

    private TrainCommandTest.Run train(Path output, String... more) throws Exception {
        Path data = dir.resolve("d.txt");
        if (!Files.exists(data)) Files.writeString(data, "Once upon a time, Pip beeped.\n\nThe bird sang a song.\n");
        List<String> args = new ArrayList<>(List.of("train", "-m", MODEL.toString(), "--data", data.toString(), "-o", output.toString(),
                "--rank", "4", "--seq", "16", "--batch", "1", "--steps", "1", "-t", "1"));
        args.addAll(List.of(more));
        return cli(args.toArray(String[]::new));
    }

    @Test
    void outputFolderMustExistAndBeAFolder() throws Exception {
        TrainCommandTest.Run r = train(dir.resolve("missing/a.gguf"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("error: -o " + dir.resolve("missing/a.gguf") + ": folder "), r.err());
        assertTrue(r.err().contains("does not exist"), r.err());
        assertFalse(r.out().contains("training"), "refused before the model loads: " + r.out());

        Files.writeString(dir.resolve("file"), "x");
        r = train(dir.resolve("file/a.gguf"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("does not exist"), r.err());

        r = train(dir);
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("is a folder; give a file name"), r.err());
    }

    @Test
    void outputFolderMustBeWritable() throws Exception {
        Path locked = Files.createDirectory(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assumeTrue(!Files.isWritable(locked), "running as root: every folder is writable");
            TrainCommandTest.Run r = train(locked.resolve("a.gguf"));
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains("is not writable"), r.err());
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void existingAdapterOrCheckpointNeedsResumeOrForce() throws Exception {
        Path out = dir.resolve("a.vera.gguf"), ckpt = Path.of(out + ".ckpt");
        TrainCommandTest.Run r = train(out);
        assertEquals(0, r.code(), r.err());
        byte[] first = Files.readAllBytes(out);

        r = train(out, "--seed", "1");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("error: " + out + " exists; --resume continues its run, --force starts afresh over it"), r.err());
        assertArrayEquals(first, Files.readAllBytes(out), "the refused run left the adapter alone");

        Files.delete(out);   // a checkpoint alone is protected too
        r = train(out, "--seed", "1");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("error: " + ckpt + " exists"), r.err());

        r = train(out, "--seed", "1", "--force");
        assertEquals(0, r.code(), r.err());
        r = train(out, "--seed", "1", "--steps", "2", "--resume");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("resumed from " + ckpt + " at step 1"), r.out());

        r = train(out, "--resume", "--force");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("give --resume or --force, not both"), r.err());
    }

    /**
     * On a terminal the progress line is rewritten in place and has no newline; the summary after a stop must start a
     * line of its own. Run under {@code script} for a pseudo-terminal, stopped with SIGTERM as Ctrl-C would.
     */
    @Test
    void stopSummaryOnItsOwnLineOnATerminal() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "needs script(1) for a pseudo-terminal");
        Path out = dir.resolve("tty.vera.gguf");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cmd = String.join(" ", java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", "'" + System.getProperty("java.class.path") + "'", "dev.vera4j.tools.Main", "train", "-m", MODEL.toString(),
                "--data", SHARED.resolve("testdata/finetune/pip-stories.train.txt").toString(), "-o", out.toString(),
                "--rank", "8", "--seq", "32", "--batch", "1", "--steps", "100000", "--log-every", "1", "-t", "1");
        Process p = new ProcessBuilder("/usr/bin/script", "-qefc", cmd, "/dev/null").redirectErrorStream(true).start();
        p.getOutputStream().close();
        var in = p.getInputStream();
        StringBuilder seen = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            seen.append((char) c);
            if (seen.indexOf("step 3/") >= 0) break;
        }
        assertTrue(seen.indexOf("step 3/") >= 0, seen.toString());
        ProcessHandle trainer = p.toHandle().descendants().filter(h -> h.info().command().orElse("").endsWith("java")).findFirst()
                .orElseThrow(() -> new AssertionError("no java under script"));
        trainer.destroy();   // SIGTERM: the shutdown hook finishes the step and saves
        seen.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        p.waitFor();
        String text = seen.toString();
        int stopped = text.indexOf("stopped after");
        assertTrue(stopped > 0, text);
        assertEquals('\n', text.charAt(stopped - 1), "the summary starts its own line: " + text.substring(Math.max(0, stopped - 80), stopped + 20));
        assertTrue(text.contains("\rstep "), "the progress line was live (a terminal): " + text);
    }
}
