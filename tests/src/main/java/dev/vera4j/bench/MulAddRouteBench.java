package dev.vera4j.bench;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.simd.MatMul;
import dev.vera4j.simd.Weights;
import dev.vera4j.simd.WorkerPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * Measures the C2 {@code MulAddS2I} route for Q4_0 products over many tokens beside the engine's own kernels (issue
 * 14, item 2). C2 compiles the plain loop {@code out[i] = w[2i]·x[2i] + w[2i+1]·x[2i+1]} over {@code short} arrays
 * into {@code vpmaddwd} (the one int8-style dot instruction Java code can reach), but not the same sum written as a
 * reduction into one {@code int}; so the route decodes each row once into shorts, runs that loop per token into an
 * {@code int} scratch and scales the per-block sums with the Vector API. One thread, weights in a 64 MiB working set,
 * multiply-adds per second of the thread's CPU time; the engine's product ({@link MatMul#matMul}) of the same weights
 * and activations is timed in the same process, alternating, and the two results are compared.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp tests/target/benchmarks.jar dev.vera4j.bench.MulAddRouteBench [tokens] [rows] [cols]
 * </pre>
 */
public final class MulAddRouteBench {
    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private MulAddRouteBench() {}

    public static void main(String[] args) {
        int tokens = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 2048, cols = args.length > 2 ? Integer.parseInt(args[2]) : 2048;
        GgmlType t = GgmlType.Q4_0;
        long bytes = rows * t.bytesFor(cols);
        int copies = (int) Math.max(2, (64L << 20) / bytes);
        SplittableRandom rnd = new SplittableRandom(3);
        Weights[] ws = new Weights[copies];
        for (int i = 0; i < copies; i++) ws[i] = new Weights(MatVecBench.randomWeights(t, rows, cols, rnd), t, rows, cols);
        float[] x = new float[tokens * cols], yEngine = new float[tokens * rows], yRoute = new float[tokens * rows];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble(-1, 1);
        Route route = new Route(cols, tokens);
        route.quantize(x);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        double macs = (double) rows * cols * tokens;
        System.out.printf("Q4_0 %dx%d, %d tokens, 1 thread, GMAC per CPU-second (best of 6 rounds of 0.5 s each, alternating)%n", rows, cols, tokens);
        try (WorkerPool pool = new WorkerPool(1)) {
            MatMul mm = new MatMul(pool, cols, tokens);
            double bestEngine = 0, bestRoute = 0;
            for (int round = 0; round < 8; round++) {
                long c0 = mx.getCurrentThreadCpuTime(), t0 = System.nanoTime();
                int it = 0;
                while (System.nanoTime() - t0 < 500_000_000L) mm.matMul(ws[it++ % copies], x, yEngine, tokens);
                double engine = macs * it / (mx.getCurrentThreadCpuTime() - c0);
                c0 = mx.getCurrentThreadCpuTime();
                t0 = System.nanoTime();
                it = 0;
                while (System.nanoTime() - t0 < 500_000_000L) route.product(ws[it++ % copies].data(), rows, yRoute);
                double viaMulAdd = macs * it / (mx.getCurrentThreadCpuTime() - c0);
                if (round >= 2) { bestEngine = Math.max(bestEngine, engine); bestRoute = Math.max(bestRoute, viaMulAdd); }
            }
            mm.matMul(ws[0], x, yEngine, tokens);
            route.product(ws[0].data(), rows, yRoute);
            double err = 0, ref = 0;
            for (int i = 0; i < yEngine.length; i++) { err = Math.max(err, Math.abs(yEngine[i] - yRoute[i])); ref = Math.max(ref, Math.abs(yEngine[i])); }
            System.out.printf("engine (MatMul.matMul)  %6.2f GMAC/CPU-s%nMulAddS2I route         %6.2f GMAC/CPU-s%nlargest difference %.3g of largest output %.3g%n",
                    bestEngine, bestRoute, err, ref);
        }
    }

    /** The route: int8 activations as shorts per token, each weight row decoded once into shorts, vpmaddwd per token. */
    private static final class Route {
        final int cols, tokens, blocks;
        final short[][] xq;
        final float[][] dx;
        final short[] wq;
        final float[] dw;
        final int[] pairs;

        Route(int cols, int tokens) {
            this.cols = cols;
            this.tokens = tokens;
            this.blocks = cols / 32;
            xq = new short[tokens][cols];
            dx = new float[tokens][blocks];
            wq = new short[cols];
            dw = new float[blocks];
            pairs = new int[cols / 2];
        }

        void quantize(float[] x) {
            for (int t = 0; t < tokens; t++)
                for (int b = 0; b < blocks; b++) {
                    float max = 0;
                    for (int j = 0; j < 32; j++) max = Math.max(max, Math.abs(x[t * cols + 32 * b + j]));
                    float d = max / 127f, inv = d == 0 ? 0 : 1 / d;
                    dx[t][b] = d;
                    for (int j = 0; j < 32; j++) xq[t][32 * b + j] = (short) Math.round(x[t * cols + 32 * b + j] * inv);
                }
        }

        void product(MemorySegment w, int rows, float[] y) {
            long rowBytes = 18L * blocks;
            for (int r = 0; r < rows; r++) {
                long off = r * rowBytes;
                for (int b = 0; b < blocks; b++) {
                    long p = off + 18L * b;
                    dw[b] = Float.float16ToFloat(w.get(F16, p));
                    for (int j = 0; j < 16; j++) {
                        int q = w.get(ValueLayout.JAVA_BYTE, p + 2 + j) & 0xFF;
                        wq[32 * b + j] = (short) ((q & 15) - 8);
                        wq[32 * b + j + 16] = (short) ((q >>> 4) - 8);
                    }
                }
                for (int t = 0; t < tokens; t++) {
                    mulAdd(wq, xq[t], pairs, cols / 2);
                    float[] d = dx[t];
                    FloatVector acc = FloatVector.zero(F8);
                    for (int b = 0; b < blocks; b++) {
                        IntVector s = IntVector.fromArray(I8, pairs, 16 * b).add(IntVector.fromArray(I8, pairs, 16 * b + 8));
                        acc = ((FloatVector) s.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F8, dw[b] * d[b]), acc);
                    }
                    y[t * rows + r] = acc.reduceLanes(VectorOperators.ADD);
                }
            }
        }

        /** The shape C2 turns into {@code vpmaddwd} (its MulAddS2I node); a reduction into one int is not vectorised. */
        static void mulAdd(short[] a, short[] b, int[] out, int n) {
            for (int i = 0; i < n; i++) out[i] = a[2 * i] * b[2 * i] + a[2 * i + 1] * b[2 * i + 1];
        }
    }
}
