package dev.vera4j.bench;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.types.Codecs;
import dev.vera4j.gguf.types.TensorCodec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Dequantization throughput: a 1024 x 4096 weight matrix, quantized once into native memory, decoded row by row into
 * a reused float buffer, on one thread. The score is matrices per second; multiply by the matrix's quantized size,
 * {@code type.bytesFor(ROWS * COLS)} (F16/BF16 8 MiB, Q8_0 4.25 MiB, Q6_K 3.28 MiB, Q4_0/Q4_K 2.25 MiB), for bytes/s
 * of quantized input. The default types are the six the Foundation issue names; any supported type can be given
 * with {@code -p type=...}.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -jar tests/target/benchmarks.jar DequantBench -f 1 -wi 4 -i 3 -w 1 -r 1
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 3, time = 1)
public class DequantBench {
    static final int ROWS = 1024;
    static final int COLS = 4096;

    @Param({"F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    public String type;

    /** {@code vector}: {@link TensorCodec#dequantize}; {@code scalar}: {@link TensorCodec#dequantizeReference}. */
    @Param({"vector", "scalar"})
    public String path;

    private Arena arena;
    private MemorySegment weights;
    private TensorCodec codec;
    private long rowBytes;
    private float[] row;
    private boolean vector;

    @Setup(Level.Trial)
    public void setUp() {
        GgmlType t = GgmlType.valueOf(type);
        codec = Codecs.of(t);
        vector = switch (path) {
            case "vector" -> true;
            case "scalar" -> false;
            default -> throw new IllegalArgumentException("path must be vector or scalar: " + path);
        };
        rowBytes = t.bytesFor(COLS);
        arena = Arena.ofShared();
        weights = arena.allocate(rowBytes * ROWS, 64);
        // 64 distinct rows, repeated: enough variety for the decoder, and a quick setup even for Q4_K/Q6_K
        Random random = new Random(1);
        int distinct = 64;
        float[] values = new float[COLS];
        for (int r = 0; r < distinct; r++) {
            for (int i = 0; i < COLS; i++) values[i] = (float) random.nextGaussian() * 0.02f;
            codec.quantize(values, 0, COLS, weights, r * rowBytes);
        }
        for (int r = distinct; r < ROWS; r += distinct) {
            MemorySegment.copy(weights, 0, weights, r * rowBytes, rowBytes * distinct);
        }
        row = new float[COLS];
    }

    @TearDown(Level.Trial)
    public void tearDown() { arena.close(); }

    @Benchmark
    public void dequantizeMatrix(Blackhole bh) {
        float[] out = row;
        for (int r = 0; r < ROWS; r++) {
            if (vector) {
                codec.dequantize(weights, r * rowBytes, out, 0, COLS);
            } else {
                codec.dequantizeReference(weights, r * rowBytes, out, 0, COLS);
            }
            bh.consume(out);
        }
    }
}
