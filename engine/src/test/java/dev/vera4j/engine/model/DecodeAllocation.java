package dev.vera4j.engine.model;

import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.simd.WorkerPool;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;

/**
 * The steady-state allocation of decoding: a model (F16 KV cache, a hook on every linear site) decodes in rounds of 100
 * steps until a round allocates nothing or {@code seconds} have passed. Until C2 has compiled the kernels, the Vector
 * API and escape analysis still allocate; a real per-step allocation would show in every round, so the steady state
 * must reach exactly zero. {@link ForwardPassTest} runs it in the test JVM, {@link FreshProcessAllocationTest} through
 * {@link #main} in a process of its own.
 */
public final class DecodeAllocation {
    private DecodeAllocation() {}

    /** {@code MODEL SECONDS}: prints {@code steady B}, the bytes of the last round (-1 if none ran). */
    public static void main(String[] args) {
        System.out.println("steady " + steadyState(Path.of(args[0]), Long.parseLong(args[1])));
    }

    /** Bytes allocated by the calling thread in the last round of 100 decode steps: 0 once steady. */
    static long steadyState(Path model, long seconds) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long until = System.nanoTime() + seconds * 1_000_000_000L;
        try (GgufFile f = GgufFile.open(model); WorkerPool pool = new WorkerPool(1)) {
            ModelConfig c = ModelConfig.fromMetadata(f.metadata());
            CpuBackend backend = new CpuBackend(c, ModelWeights.of(f, c), pool);
            OneSequence s = new OneSequence(backend, KvType.F16, 1, 512).hook((site, x, xOff, y, yOff, n, in, out) -> y[yOff] += 0f);
            float[] logits = new float[c.vocabSize()];
            int[] one = {1};
            long allocated = -1;
            while (allocated != 0 && System.nanoTime() < until) {
                s.sequence.cache().truncate(0);
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 100; i++) {
                    one[0] = (i * 37) % c.vocabSize();
                    s.forward(one, 0, 1, logits, false);
                }
                allocated = threads.getCurrentThreadAllocatedBytes() - before;
            }
            return allocated;
        }
    }
}
