package dev.vera4j.bench;

import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.api.Session;
import dev.vera4j.engine.kv.KvType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Whole forward passes of a model: prompt processing (64 tokens as batches) and decoding (64 single-token passes),
 * both reported per token. Defaults to stories260K from {@code ../shared}; pass {@code -p model=FILE} for another
 * (e.g. one written by {@code vera4j make-model --shape llama3-1b}).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -jar tests/target/benchmarks.jar ForwardBench -p threads=2
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC"})
public class ForwardBench {
    private static final int TOKENS = 64;

    @Param({""})
    public String model;
    @Param({"2"})
    public int threads;
    @Param({"F16"})
    public String kv;

    private Model loaded;
    private Session session;
    private int[] prompt;
    private final int[] one = new int[1];

    @Setup(Level.Trial)
    public void setUp() {
        Path path = model.isEmpty()
                ? Path.of(System.getProperty("vera4j.shared", "../shared")).resolve("models/stories260K.gguf")
                : Path.of(model);
        loaded = Model.load(path, threads);
        session = loaded.newSession(2 * TOKENS, KvType.valueOf(kv), TOKENS);
        prompt = new SplittableRandom(1).ints(TOKENS, 0, loaded.config().vocabSize()).toArray();
    }

    @TearDown(Level.Trial)
    public void tearDown() { loaded.close(); }

    @Benchmark
    @OperationsPerInvocation(TOKENS)
    public float prefill() {
        session.reset();
        return session.ingest(prompt)[0];
    }

    @Benchmark
    @OperationsPerInvocation(TOKENS)
    public float decode() {
        session.reset();
        float last = 0;
        for (int t : prompt) {
            one[0] = t;
            last = session.ingest(one)[0];
        }
        return last;
    }
}
