package dev.vera4j.tests;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.vera4j.tests.ChatCommandTest.jar;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Two {@code vera4j train} processes with one seed write the same adapter bytes, with 1 and with 3 threads: no kernel
 * result depends on the thread count, and none on whether the JIT had compiled it yet (vector sums across lanes and
 * {@code exp} are computed so that interpreted and compiled code agree). This is what lets {@code --resume} in a new
 * process continue bit-identically.
 */
class TrainReproducibilityTest {
    static final Path SHARED = Path.of(System.getProperty("vera4j.shared", "../shared"));

    @TempDir
    Path tmp;

    @Test
    void sameSeedSameBitsAcrossProcessesAndThreadCounts() throws Exception {
        byte[][] outputs = new byte[2][];
        String[] threads = {"1", "3"};
        for (int i = 0; i < 2; i++) {
            Path out = tmp.resolve("run" + i + ".vera.gguf");
            ChatCommandTest.Result r = jar("", "train", "-m", SHARED.resolve("models/stories260K.gguf").toString(),
                    "--data", SHARED.resolve("testdata/finetune/pip-stories.train.txt").toString(), "-o", out.toString(),
                    "--rank", "16", "--targets", "q,k,v,o,gate,up,down", "--lr", "1e-2", "--batch", "4", "--steps", "6",
                    "--seed", "3", "-t", threads[i]);
            assertEquals(0, r.code(), r.err());
            outputs[i] = Files.readAllBytes(out);
        }
        assertArrayEquals(outputs[0], outputs[1]);
    }
}
