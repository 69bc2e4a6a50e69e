package dev.vera4j.engine.model;

import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.simd.WorkerPool;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;

/**
 * Decodes stories260K (F16 KV cache, a hook on every linear site) in rounds of 100 steps until a round allocates
 * nothing, and prints {@code steady 0} or, after {@code args[1]} seconds, the last round's bytes: the main of
 * {@link FreshProcessAllocationTest}, which runs it in a process of its own.
 */
public final class FreshProcessDecodeAllocation {
    private FreshProcessDecodeAllocation() {}

    public static void main(String[] args) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long until = System.nanoTime() + Long.parseLong(args[1]) * 1_000_000_000L;
        try (GgufFile f = GgufFile.open(Path.of(args[0])); WorkerPool pool = new WorkerPool(1)) {
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
            System.out.println("steady " + allocated);
        }
    }
}
