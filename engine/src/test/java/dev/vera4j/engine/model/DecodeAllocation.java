package dev.vera4j.engine.model;

import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.simd.WorkerPool;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The steady-state allocation of decoding: a model (F16 KV cache, a hook on every linear site) decodes in rounds of 100
 * steps until a round allocates nothing, on the calling thread and on the pool's worker, or {@code seconds} have
 * passed. Until C2 has compiled the kernels, the Vector API and escape analysis still allocate; a real per-step
 * allocation would show in every round, so the steady state must reach exactly zero. {@link ForwardPassTest} runs it
 * in the test JVM (stories260K) and, for the quantized models, through {@link #main} in a process of its own
 * ({@link #inFreshProcess}): after the other tests C2 sometimes settled on code that allocated a few hundred bytes a
 * step there (docs/benchmark-log.md, 2026-12-06 fifth session), which depends on what ran before, not on decoding.
 */
public final class DecodeAllocation {
    private DecodeAllocation() {}

    /** {@code MODEL SECONDS [packed]}: prints {@code steady CALLER WORKER}, the bytes of the last round (-1 if none ran). */
    public static void main(String[] args) {
        long[] b = steadyState(Path.of(args[0]), Long.parseLong(args[1]), args.length > 2 && args[2].equals("packed"));
        System.out.println("steady " + b[0] + " " + b[1]);
    }

    /** Bytes allocated by the calling thread in the last round of 100 decode steps, on one thread: 0 once steady. */
    static long steadyState(Path model, long seconds) {
        return steadyState(model, seconds, false, 1)[0];
    }

    /**
     * Bytes allocated in the last round of 100 decode steps by the calling thread and by the worker (two threads; -1 for
     * the worker with one), with the matrices packed as {@code Model.load} packs them when {@code packed}.
     */
    static long[] steadyState(Path model, long seconds, boolean packed) {
        return steadyState(model, seconds, packed, 2);
    }

    private static long[] steadyState(Path model, long seconds, boolean packed, int threads) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long until = System.nanoTime() + seconds * 1_000_000_000L;
        try (GgufFile f = GgufFile.open(model); WorkerPool pool = new WorkerPool(threads); PackedCopies copies = PackedCopies.open(f, null, pool)) {
            ModelConfig c = ModelConfig.fromMetadata(f.metadata());
            ModelWeights w = packed ? ModelWeights.of(f, c).packed(copies) : ModelWeights.of(f, c);
            CpuBackend backend = new CpuBackend(c, w, pool);
            OneSequence s = new OneSequence(backend, KvType.F16, 1, 512).hook((site, x, xOff, y, yOff, n, in, out) -> y[yOff] += 0f);
            float[] logits = new float[c.vocabSize()];
            int[] one = {1};
            s.forward(one, 0, 1, logits, false);
            long worker = threads < 2 ? -1 : Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().startsWith("vera4j-worker-")).findFirst().orElseThrow().threadId();
            long allocated = -1, workerAllocated = threads < 2 ? 0 : -1;
            while ((allocated != 0 || workerAllocated != 0) && System.nanoTime() < until) {
                s.sequence.cache().truncate(0);
                long workerBefore = worker < 0 ? 0 : mx.getThreadAllocatedBytes(worker);
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 100; i++) {
                    one[0] = (i * 37) % c.vocabSize();
                    s.forward(one, 0, 1, logits, false);
                }
                allocated = mx.getCurrentThreadAllocatedBytes() - before;
                if (worker >= 0) workerAllocated = mx.getThreadAllocatedBytes(worker) - workerBefore;
            }
            return new long[] {allocated, worker < 0 ? -1 : workerAllocated};
        }
    }

    /**
     * Runs {@link #main} with {@code args} in a JVM of its own (this one's class path and Vector API module) and returns
     * its output, failing if it does not end within {@code seconds + 60} or ends badly.
     */
    static String inFreshProcess(long seconds, String... args) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseParallelGC", "-cp", System.getProperty("java.class.path"), DecodeAllocation.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(seconds + 60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the decoding process did not end within " + (seconds + 60) + " s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) throw new AssertionError("the decoding process failed: " + out);
        return out;
    }
}
