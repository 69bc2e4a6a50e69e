package dev.vera4j.bench;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.simd.MatMul;
import dev.vera4j.simd.Weights;
import dev.vera4j.simd.WorkerPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.AuxCounters;
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

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Weight streaming speed of {@link MatMul} for a Llama-3.2-1B FFN-down shaped matrix (2048 rows × 8192 columns), per
 * weight type, and the machine's read bandwidth as the ceiling. Several copies of the matrix (256 MiB in all) are
 * cycled so that every product reads its weights from DRAM, as decoding a whole model does. The {@code weightBytes}
 * counter is bytes of weights per second (divide by 1e9 for GB/s).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -jar tests/target/benchmarks.jar MatVecBench -p threads=2
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC"})
public class MatVecBench {
    private static final long WORKING_SET = 256L << 20;

    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    public String type;
    @Param({"2"})
    public int threads;
    @Param({"2048"})
    public int rows;
    @Param({"8192"})
    public int cols;

    private Arena arena;
    private WorkerPool pool;
    private MatMul mm;
    private Weights[] copies;
    private int next;
    private float[] x, y, x8, y8;

    /** Bytes of weights streamed, reported by JMH per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long weightBytes;
    }

    @Setup(Level.Trial)
    public void setUp() {
        GgmlType t = GgmlType.valueOf(type);
        arena = Arena.ofShared();
        pool = new WorkerPool(threads);
        mm = new MatMul(pool, cols, 8);
        long bytes = rows * t.bytesFor(cols);
        int n = (int) Math.max(2, WORKING_SET / bytes);
        copies = new Weights[n];
        SplittableRandom rnd = new SplittableRandom(42);
        for (int i = 0; i < n; i++) copies[i] = new Weights(randomWeights(t, rows, cols, rnd), t, rows, cols);
        x = new float[cols];
        y = new float[rows];
        x8 = new float[8 * cols];
        y8 = new float[8 * rows];
        for (int i = 0; i < x8.length; i++) x8[i] = (float) rnd.nextDouble(-1, 1);
        System.arraycopy(x8, 0, x, 0, cols);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    /** One token: {@code y = W·x}, as in decoding. */
    @Benchmark
    public float matVec(Counters c) {
        Weights w = copies[next];
        next = next + 1 == copies.length ? 0 : next + 1;
        mm.matVec(w, x, y);
        c.weightBytes += w.rows() * w.rowBytes();
        return y[0];
    }

    /** Eight tokens per product, as in prompt processing (counts weight bytes once per product). */
    @Benchmark
    public float matMul8(Counters c) {
        Weights w = copies[next];
        next = next + 1 == copies.length ? 0 : next + 1;
        mm.matMul(w, x8, y8, 8);
        c.weightBytes += w.rows() * w.rowBytes();
        return y8[0];
    }

    /**
     * A JMH-free check that holds on a busy machine: one thread, weights streamed from a 256 MiB working set, speed
     * per second of this thread's CPU time (so time the OS gives to other processes does not count).
     * {@code java --add-modules jdk.incubator.vector -cp tests/target/benchmarks.jar dev.vera4j.bench.MatVecBench [types] [tokens] [rows] [cols]}
     */
    public static void main(String[] args) {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        String types = args.length > 0 ? args[0] : "F32,F16,BF16,Q8_0,Q4_0,Q4_K,Q6_K";
        int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int rows = args.length > 2 ? Integer.parseInt(args[2]) : 2048, cols = args.length > 3 ? Integer.parseInt(args[3]) : 8192;
        System.out.printf("matMul %dx%d, %d token(s), 1 thread, GB of weights per CPU-second (best of 6 rounds of 0.4 s)%n", rows, cols, tokens);
        for (String name : types.split(",")) {
            GgmlType t = GgmlType.valueOf(name);
            long bytes = rows * t.bytesFor(cols);
            int n = (int) Math.max(2, WORKING_SET / bytes);
            Weights[] ws = new Weights[n];
            SplittableRandom rnd = new SplittableRandom(1);
            for (int i = 0; i < n; i++) ws[i] = new Weights(randomWeights(t, rows, cols, rnd), t, rows, cols);
            float[] x = new float[cols * tokens], y = new float[rows * tokens];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble(-1, 1);
            try (WorkerPool pool = new WorkerPool(1)) {
                MatMul mm = new MatMul(pool, cols, tokens);
                double best = 0;
                for (int round = 0; round < 8; round++) {
                    long c0 = mx.getCurrentThreadCpuTime(), t0 = System.nanoTime();
                    int iters = 0;
                    while (System.nanoTime() - t0 < 400_000_000L) mm.matMul(ws[iters++ % n], x, y, tokens);
                    double gbs = (double) bytes * iters / (mx.getCurrentThreadCpuTime() - c0);
                    if (round >= 2) best = Math.max(best, gbs);
                }
                System.out.printf("%-5s %6.2f GB/CPU-s%n", name, best);
            }
        }
    }

    /** Random valid blocks: random quants, small finite fp16 scales; finite random values for float types. */
    static MemorySegment randomWeights(GgmlType t, int rows, int cols, SplittableRandom rnd) {
        ValueLayout.OfShort i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        ValueLayout.OfLong i64 = ValueLayout.JAVA_LONG_UNALIGNED;
        long size = rows * t.bytesFor(cols);
        MemorySegment seg = Arena.global().allocate(size, 64);
        for (long i = 0; i + 8 <= size; i += 8) seg.set(i64, i, rnd.nextLong());
        long blocks = size / t.typeSize();
        for (long b = 0; b < blocks; b++) {
            long p = b * t.typeSize();
            short scale = Float.floatToFloat16((float) rnd.nextDouble(-0.02, 0.02));
            switch (t) {
                case F32 -> seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED, p, (float) rnd.nextDouble(-1, 1));
                case F16 -> seg.set(i16, p, Float.floatToFloat16((float) rnd.nextDouble(-1, 1)));
                case BF16 -> seg.set(i16, p, (short) (Float.floatToIntBits((float) rnd.nextDouble(-1, 1)) >>> 16));
                case Q8_0, Q4_0, Q5_0, IQ4_NL, IQ4_XS -> seg.set(i16, p, scale);
                case Q4_1, Q5_1, Q4_K, Q5_K -> { seg.set(i16, p, scale); seg.set(i16, p + 2, scale); }
                case Q6_K -> seg.set(i16, p + 208, scale);
                case Q3_K -> seg.set(i16, p + 108, scale);
                case Q2_K -> { seg.set(i16, p + 80, scale); seg.set(i16, p + 82, scale); }
                default -> throw new IllegalArgumentException("no generator for " + t);
            }
        }
        return seg;
    }

    /** The ceiling: a vectorised sum over 512 MiB split across the same threads; {@code weightBytes} = bytes read. */
    @State(Scope.Benchmark)
    public static class Bandwidth {
        static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
        static final int CHUNKS = 64;
        @Param({"2"})
        public int threads;
        private MemorySegment data;
        private WorkerPool pool;
        private final float[] partial = new float[CHUNKS];
        private final dev.vera4j.simd.RangeTask task = this::sum;

        @Setup(Level.Trial)
        public void setUp() {
            data = Arena.global().allocate(512L << 20, 64);
            for (long i = 0; i < data.byteSize(); i += 8) data.set(ValueLayout.JAVA_LONG_UNALIGNED, i, i);
            pool = new WorkerPool(threads);
        }

        @TearDown(Level.Trial)
        public void tearDown() { pool.close(); }

        private void sum(int start, int end) {
            long chunk = data.byteSize() / CHUNKS, step = F.vectorByteSize();
            for (int c = start; c < end; c++) {
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                for (long o = c * chunk, e = o + chunk; o < e; o += 4 * step) {
                    a0 = a0.add(FloatVector.fromMemorySegment(F, data, o, ByteOrder.LITTLE_ENDIAN));
                    a1 = a1.add(FloatVector.fromMemorySegment(F, data, o + step, ByteOrder.LITTLE_ENDIAN));
                    a2 = a2.add(FloatVector.fromMemorySegment(F, data, o + 2 * step, ByteOrder.LITTLE_ENDIAN));
                    a3 = a3.add(FloatVector.fromMemorySegment(F, data, o + 3 * step, ByteOrder.LITTLE_ENDIAN));
                }
                partial[c] = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
            }
        }

        @Benchmark
        public float read(Counters c) {
            pool.parallelFor(CHUNKS, task);
            c.weightBytes += data.byteSize();
            return partial[0];
        }
    }
}
