package dev.vera4j.bench;

import dev.vera4j.engine.model.LinearSite;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.vera.AdapterFile;
import dev.vera4j.vera.AdapterWeights;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.VeraAdapter;
import dev.vera4j.vera.VeraConfig;
import dev.vera4j.vera.VeraLambdas;
import dev.vera4j.vera.VeraSite;
import dev.vera4j.vera.VeraTarget;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Cost of applying a VeRA adapter on the fly: the hook calls of one transformer block for one decoded token
 * (q, k, v, o, gate, up, down in order, so q/k/v and gate/up share their {@code A·x}), on a Llama-3.2-1B-shaped block
 * (dim 2048, 32/8 heads of 64, ffn 8192), on one or two threads. Multiply by 16 blocks for the per-token overhead.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -jar tests/target/benchmarks.jar VeraAdapterBench -p threads=2
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class VeraAdapterBench {
    /** {@code qv}: PEFT's default targets; {@code all}: the seven projections of a llama block. */
    @Param({"qv", "all"})
    public String targets;
    @Param({"256"})
    public int rank;
    @Param({"1", "2"})
    public int threads;

    private static final BaseFingerprint LLAMA_1B =
            new BaseFingerprint("llama", 1, 2048, 8192, 32, 8, 64, 128256, "00000000000000000000000000000000");
    private static final LinearSite.Kind[] ORDER = {LinearSite.Kind.Q, LinearSite.Kind.K, LinearSite.Kind.V,
            LinearSite.Kind.O, LinearSite.Kind.GATE, LinearSite.Kind.UP, LinearSite.Kind.DOWN};

    private WorkerPool pool;
    private VeraAdapter hook;
    private LinearSite[] sites;
    private float[][] x;
    private float[][] y;

    @Setup
    public void setup() {
        EnumSet<VeraTarget> t = targets.equals("qv") ? EnumSet.of(VeraTarget.Q, VeraTarget.V) : EnumSet.range(VeraTarget.Q, VeraTarget.DOWN);
        VeraConfig config = new VeraConfig(0, rank, 0.1f, t, List.of(), true);
        SplittableRandom r = new SplittableRandom(1);
        TreeMap<VeraSite, VeraLambdas> lambdas = new TreeMap<>();
        for (VeraTarget target : t) {
            float[] b = new float[LLAMA_1B.outputs(target)], d = new float[rank];
            for (int i = 0; i < b.length; i++) b[i] = (float) r.nextDouble(-1, 1);
            for (int i = 0; i < d.length; i++) d[i] = (float) r.nextDouble(0, 1);
            lambdas.put(new VeraSite(0, target), new VeraLambdas(b, d));
        }
        int[] dims = LLAMA_1B.projectionDims(t);
        AdapterFile file = new AdapterFile(config, dims[0], dims[1], LLAMA_1B, lambdas, Optional.empty(), Optional.empty());
        pool = new WorkerPool(threads);
        hook = new VeraAdapter(AdapterWeights.prepare(file, LLAMA_1B, "bench", false), 1, 1f, pool);
        sites = new LinearSite[ORDER.length];
        x = new float[ORDER.length][];
        y = new float[ORDER.length][];
        float[] attnIn = new float[2048], ffnIn = new float[2048];
        for (int i = 0; i < ORDER.length; i++) {
            VeraTarget target = VeraTarget.valueOf(ORDER[i].name());
            sites[i] = new LinearSite(0, ORDER[i]);
            x[i] = switch (ORDER[i]) {
                case Q, K, V -> attnIn;
                case GATE, UP -> ffnIn;
                default -> new float[LLAMA_1B.inputs(target)];
            };
            y[i] = new float[LLAMA_1B.outputs(target)];
        }
        for (float[] v : new float[][] {attnIn, ffnIn, x[3], x[6]}) for (int i = 0; i < v.length; i++) v[i] = (float) r.nextDouble(-1, 1);
    }

    @TearDown
    public void close() {
        pool.close();
    }

    @Benchmark
    public float oneBlockOneToken() {
        for (int i = 0; i < sites.length; i++) hook.addDelta(sites[i], x[i], 0, y[i], 0, 1, x[i].length, y[i].length);
        return y[6][0];
    }
}
