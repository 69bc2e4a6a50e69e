package dev.vera4j.vera.train;

import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.model.ModelWeights;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.engine.tokenizer.Tokenizers;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.vera.AdapterFile;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.VeraConfig;
import dev.vera4j.vera.VeraTarget;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The training loop on stories260K: it lowers the loss, and stopping + resuming from a checkpoint is bit-identical. */
class TrainerTest {
    static GgufFile file;
    static WorkerPool pool;
    static CpuBackend tf;
    static BaseFingerprint fp;
    static Dataset data;
    @TempDir Path dir;

    @BeforeAll
    static void load() throws Exception {
        file = GgufFile.open(GradientReference.stories());
        pool = new WorkerPool(1);
        ModelConfig c = ModelConfig.fromMetadata(file.metadata());
        tf = new CpuBackend(c, ModelWeights.of(file, c), pool);
        fp = BaseFingerprint.of(file);
        String text = Files.readString(GradientReference.shared().resolve("testdata/finetune/pip-stories.train.txt"));
        Path p = Files.createTempFile("pip", ".txt");
        Files.writeString(p, String.join("\n\n", List.of(text.split("\\R\\s*\\R")).subList(0, 12)));
        data = Dataset.load(p, Tokenizers.fromMetadata(file.metadata()), null, 48, Dataset.TextMode.DOCUMENTS);
        Files.delete(p);
    }

    @AfterAll
    static void close() {
        pool.close();
        file.close();
    }

    static TrainConfig config(int steps) {
        return new TrainConfig(steps, 2, 2, 2e-2, 1e-2, new Schedule(Schedule.Kind.COSINE, 1, steps),
                new AdamW.Settings(0.9, 0.999, 1e-8, 0.01), 0.5, 0, 0, 7);
    }

    TrainableLambdas fresh() {
        return TrainableLambdas.of(TrainableLambdas.freshAdapter(fp,
                new VeraConfig(3, 8, 0.1f, EnumSet.of(VeraTarget.Q, VeraTarget.V, VeraTarget.DOWN), List.of(), true)), fp);
    }

    static final Trainer.Listener QUIET = info -> {};

    @Test
    void resumeIsBitIdentical() {
        int n = 3;
        TrainableLambdas straight = fresh();
        Trainer a = new Trainer(new Backward(tf, straight, 48), straight, data, null, config(2 * n), dir.resolve("a.gguf"), dir.resolve("a.ckpt"), "run");
        a.run(QUIET, () -> false);

        TrainableLambdas first = fresh();
        Trainer b = new Trainer(new Backward(tf, first, 48), first, data, null, config(2 * n), dir.resolve("b.gguf"), dir.resolve("b.ckpt"), "run");
        Trainer.Result stopped = b.run(QUIET, () -> b.step() == n);
        assertTrue(stopped.stopped());
        assertEquals(n, stopped.steps());

        TrainableLambdas second = fresh();
        Trainer c = new Trainer(new Backward(tf, second, 48), second, data, null, config(2 * n), dir.resolve("b.gguf"), dir.resolve("b.ckpt"), "run");
        c.resume(Checkpoint.read(dir.resolve("b.ckpt")));
        assertEquals(n, c.step());
        c.run(QUIET, () -> false);

        AdapterFile x = AdapterFile.read(dir.resolve("a.gguf")), y = AdapterFile.read(dir.resolve("b.gguf"));
        assertEquals(x.lambdas(), y.lambdas(), "λ bits after 2N steps straight vs N + resume + N");
        assertNotEquals(fresh().toAdapterFile().lambdas(), x.lambdas(), "training changed the λ's");
        Checkpoint cx = Checkpoint.read(dir.resolve("a.ckpt")), cy = Checkpoint.read(dir.resolve("b.ckpt"));
        assertArrayEquals(cx.m(), cy.m());
        assertArrayEquals(cx.v(), cy.v());
        assertEquals(2 * n, cy.step());

        TrainableLambdas other = fresh();
        Trainer d = new Trainer(new Backward(tf, other, 48), other, data, null, config(2 * n), dir.resolve("d.gguf"), null, "another run");
        assertThrows(IllegalArgumentException.class, () -> d.resume(cx));
    }

    @Test
    void lossGoesDown() {
        TrainableLambdas p = fresh();
        Backward bw = new Backward(tf, p, 48);
        Trainer t = new Trainer(bw, p, data, null, new TrainConfig(12, 4, 1, 3e-2, 3e-2, new Schedule(Schedule.Kind.CONSTANT, 0, 12),
                AdamW.Settings.defaults(), 1.0, 0, 0, 1), dir.resolve("l.gguf"), null, "run");
        double before = t.evaluate(data);
        t.run(QUIET, () -> false);
        double after = t.evaluate(data);
        assertTrue(after < 0.85 * before, "loss " + before + " -> " + after);
    }

    @Test
    void truncatedCheckpointIsRefused() throws Exception {
        Path p = dir.resolve("t.ckpt");
        TrainableLambdas params = fresh();
        Checkpoint.capture(1, 7, "run", params, new AdamW(params, AdamW.Settings.defaults())).write(p);
        byte[] all = Files.readAllBytes(p);
        Files.write(p, java.util.Arrays.copyOf(all, all.length - 5));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(p)).getMessage().contains("truncated"));
        Files.write(p, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(p)).getMessage().contains("not a vera4j"));
    }
}
