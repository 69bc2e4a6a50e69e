package dev.vera4j.vera.train;

import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.vera.AdapterFile;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.TinyBase;
import dev.vera4j.vera.VeraConfig;
import dev.vera4j.vera.VeraTarget;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Training a VeRA adapter on each family's tiny model lowers the validation loss: the data is a small language the
 * random model does not know (each token is followed by the token 3 further on, modulo the vocabulary), the
 * validation sequences start elsewhere than the training ones, and the adapter covers every module the model has (for
 * mixtures of experts: attention and every expert, and the shared expert).
 */
class FamilyTrainingTest {
    static Dataset data(Random r, int sequences, int length, int vocab) {
        List<Example> out = new ArrayList<>();
        for (int s = 0; s < sequences; s++) {
            int[] tokens = new int[length + 1];
            tokens[0] = r.nextInt(vocab);
            for (int i = 1; i <= length; i++) tokens[i] = (tokens[i - 1] + 3) % vocab;
            boolean[] mask = new boolean[length];
            Arrays.fill(mask, true);
            out.add(new Example(tokens, mask));
        }
        return new Dataset(out);
    }

    @ParameterizedTest
    @FieldSource("dev.vera4j.vera.TinyBase#FAMILIES")
    void trainingLowersTheValidationLoss(String name, @TempDir Path dir) throws Exception {
        try (TinyBase m = TinyBase.open(name, dir)) {
            ModelConfig c = m.config();
            CpuBackend tf = m.backend();
            BaseFingerprint fp = m.fingerprint();
            EnumSet<VeraTarget> targets = fp.targets();
            AdapterFile fresh = TrainableLambdas.freshAdapter(fp, new VeraConfig(1, 16, 0.1f, targets, List.of(), true));
            TrainableLambdas p = TrainableLambdas.of(fresh, fp);
            Random r = new Random(2);
            Dataset train = data(r, 16, 12, c.vocabSize()), valid = data(r, 6, 12, c.vocabSize());
            TrainConfig cfg = new TrainConfig(40, 4, 1, 1e-1, 1e-1, new Schedule(Schedule.Kind.CONSTANT, 0, 40),
                    AdamW.Settings.defaults(), 1.0, 0, 0, 3);
            Trainer t = new Trainer(new Backward(tf, p, 12), p, train, valid, cfg, dir.resolve("a.gguf"), null, "run");
            double before = t.evaluate(valid);
            Trainer.Result result = t.run(info -> {}, () -> false);
            double after = result.evalLoss();
            System.out.println(name + ": validation loss " + before + " -> " + after);
            assertTrue(after < 0.8 * before, name + ": validation loss " + before + " -> " + after);
            AdapterFile trained = AdapterFile.read(dir.resolve("a.gguf"));
            assertEquals(fresh.lambdas().keySet(), trained.lambdas().keySet());
        }
    }
}
