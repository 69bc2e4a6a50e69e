package dev.vera4j.tests;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.VeraConfig;
import dev.vera4j.vera.VeraTarget;
import dev.vera4j.vera.train.TrainableLambdas;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;

import static dev.vera4j.tests.ChatCommandTest.cli;
import static org.junit.jupiter.api.Assertions.*;

/** The load report names each adapter; an adapter made for another base is refused before the model loads. */
class AdapterReportTest {
    private static final Path SHARED = Path.of(System.getProperty("vera4j.shared", "../shared"));
    private static final Path STORIES = SHARED.resolve("models/stories260K.gguf");

    @TempDir Path tmp;

    /** A fresh rank-4 adapter on q,v for {@code base}. */
    private Path adapter(BaseFingerprint base, String name) throws Exception {
        Path p = tmp.resolve(name);
        TrainableLambdas.freshAdapter(base, new VeraConfig(3, 4, 0.1f, EnumSet.of(VeraTarget.Q, VeraTarget.V), List.of(), true))
                .write(p, GgmlType.F32);
        return p;
    }

    @Test
    void loadReportNamesEachAdapter() throws Exception {
        Path own = adapter(BaseFingerprint.of(STORIES), "own.vera.gguf");
        ChatCommandTest.Result r = cli("", "generate", "-m", STORIES.toString(), "-p", "Once", "-n", "2", "--temp", "0",
                "--adapter", own + ":0.5", "--adapter", CliConsistencyTest.PEFT.toString());
        assertEquals(0, r.code(), r.err());
        String size = String.format(java.util.Locale.ROOT, "%.3g KiB", Files.size(own) / 1024.0);
        assertTrue(r.err().contains("adapter: " + own + ", VeRA r=4 on q,v, weight 0.5, " + size), r.err());
        assertTrue(r.err().contains("adapter: " + CliConsistencyTest.PEFT + ", VeRA r=16 on q,k,v,o,gate,up,down, weight 1, "), r.err());

        ChatCommandTest.Result chat = cli("Once\n", "chat", "-m", STORIES.toString(), "--temp", "0", "-n", "2", "--adapter", own.toString());
        assertEquals(0, chat.code(), chat.err());
        assertTrue(chat.err().contains("adapter: " + own + ", VeRA r=4 on q,v, weight 1, "), chat.err());
    }

    /**
     * The check reads the model's header and samples only: the refusal comes before the load report (printed after the
     * load) and before the loading progress, for generate, chat and bench alike.
     */
    @Test
    void wrongBaseIsRefusedBeforeTheLoad() throws Exception {
        BaseFingerprint b = BaseFingerprint.of(STORIES);
        BaseFingerprint other = new BaseFingerprint(b.architecture(), b.blockCount(), b.dim(), b.feedForwardLength(), b.headCount(),
                b.headCountKv(), b.headDim(), b.vocabSize(), "0123456789abcdef0123456789abcdef");
        Path wrong = adapter(other, "other-base.vera.gguf");
        for (String[] args : List.of(new String[] {"generate", "-p", "Once"}, new String[] {"chat"}, new String[] {"bench", "-p", "4", "-n", "0"})) {
            ChatCommandTest.Result r = cli("", ChatCommandTest.concat(args, "-m", STORIES.toString(), "--adapter", wrong.toString()));
            assertEquals(1, r.code(), r.err());
            assertTrue(r.err().startsWith("error: adapter other-base.vera.gguf was made for a base model with fingerprint 0123456789abcdef"), r.err());
            assertEquals(1, r.err().lines().count(), "nothing loaded, nothing reported: " + r.err());
        }
    }
}
