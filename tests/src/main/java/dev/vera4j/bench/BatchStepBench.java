package dev.vera4j.bench;

import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufTensor;
import dev.vera4j.simd.MatMul;
import dev.vera4j.simd.Weights;
import dev.vera4j.simd.WorkerPool;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The matrix products of one batched decode step: every 2-D weight of a GGUF file (its packed copy, as a loaded model
 * has it) times {@code n} tokens, as {@code vera4j serve} multiplies {@code n} sequences' tokens in one step. Reports
 * milliseconds per step (best of several rounds) and tokens per second, per token count; the token embedding is
 * counted as the output head (tied embeddings).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp tests/target/benchmarks.jar dev.vera4j.bench.BatchStepBench MODEL.gguf 1,2,4,8,16 [threads] [Q4_0,Q6_K]
 * </pre>
 */
public final class BatchStepBench {
    private BatchStepBench() {}

    public static void main(String[] args) {
        Path path = Path.of(args[0]);
        String[] counts = (args.length > 1 ? args[1] : "1,2,4,8,16").split(",");
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        java.util.Set<String> types = args.length > 3 ? java.util.Set.of(args[3].split(",")) : null;   // only these weight types
        try (GgufFile file = GgufFile.open(path); Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(threads)) {
            List<Weights> ws = new ArrayList<>();
            int maxCols = 0;
            for (GgufTensor t : file.tensors().values()) {
                if (t.rank() != 2 || !MatMul.supports(t.type()) || (types != null && !types.contains(t.type().name()))) continue;
                ws.add(Weights.of(t).pack(arena, pool));
                maxCols = Math.max(maxCols, t.cols());
            }
            int maxTokens = 0;
            for (String c : counts) maxTokens = Math.max(maxTokens, Integer.parseInt(c));
            int maxRows = ws.stream().mapToInt(Weights::rows).max().orElse(0);
            MatMul mm = new MatMul(pool, maxCols, maxTokens);
            mm.severalSequences(true);   // n sequences' next tokens, as a serving step
            float[] x = new float[maxTokens * maxCols], y = new float[maxTokens * maxRows];
            SplittableRandom rnd = new SplittableRandom(1);
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble(-1, 1);
            System.out.printf("%s: %d matrices, %d thread(s); ms per step of n tokens (best of 5 after 2 warm-up)%n", path.getFileName(), ws.size(), threads);
            for (String c : counts) {
                int n = Integer.parseInt(c);
                double best = Double.MAX_VALUE;
                for (int round = 0; round < 7; round++) {
                    long t0 = System.nanoTime();
                    for (Weights w : ws) mm.matMul(w, x, y, n);
                    double ms = (System.nanoTime() - t0) / 1e6;
                    if (round >= 2) best = Math.min(best, ms);
                }
                System.out.printf("n=%2d  %8.1f ms/step  %7.1f tok/s%n", n, best, n * 1000 / best);
            }
        }
    }
}
