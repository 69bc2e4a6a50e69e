package dev.vera4j.tools;

import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.model.PackedCopies;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What a loaded model's process keeps resident, for the load report and {@code train}: the weights (the packed copies
 * of the matrices that have one, in whole 2 MB pages, plus the mapped file's other tensors — the packed matrices'
 * mapped pages are released once copied; a load that packs, rather than reading the pack cache, holds its largest
 * matrix twice for a moment), the KV cache, and the runtime: the JVM's heap in use, its young generation
 * (which every collection cycle fills), its code and class metadata, and the JVM's own native base.
 *
 * <p>The native base ({@link #JVM_NATIVE_BASE}) was measured: the peak resident memory of {@code generate} on
 * stories260K (almost no weights) less the heap and metadata the JVM reports, with the launcher's options
 * ({@link StartupCache#JVM_OPTIONS}). MemoryEstimateTest checks the whole estimate against the measured peak (VmHWM)
 * of child JVMs within 15 %.
 *
 * <pre>{@code
 * MemoryEstimate m = MemoryEstimate.of(model, info.fileBytes(), info.kvCacheBytes(ctx, 2));
 * err.println("memory ~" + Numbers.bytes(m.total()));
 * }</pre>
 *
 * @param weights bytes of weights resident: packed copies plus the mapped tensors without one
 * @param packed  of which packed copies
 * @param kvCache the KV cache's bytes
 * @param runtime the JVM: heap in use, young generation, code, metadata and native base
 */
record MemoryEstimate(long weights, long packed, long kvCache, long runtime) {
    /** libjvm and the JDK's mapped images, thread stacks, malloc arenas and the start-up cache: measured, see above. */
    static final long JVM_NATIVE_BASE = 48L << 20;

    long total() { return weights + kvCache + runtime; }

    /**
     * The estimate for {@code model} (whose files, all parts, hold {@code fileBytes}) with a KV cache of
     * {@code kvCacheBytes}, measured now (after the load).
     */
    static MemoryEstimate of(Model model, long fileBytes, long kvCacheBytes) {
        long file = fileBytes, packed = 0, replaced = 0;
        if (model.backend() instanceof CpuBackend cpu && cpu.copies() != null) {
            PackedCopies c = cpu.copies();
            packed = c.residentBytes() + c.largestPackedNow();   // a load that packs holds one matrix twice at its peak
            replaced = c.sourceBytes();
        }
        return new MemoryEstimate(Math.max(0, file - replaced) + packed, packed, kvCacheBytes, runtimeBytes());
    }

    /** The JVM's part: heap in use, the young generation's whole capacity, non-heap committed, and the native base. */
    static long runtimeBytes() {
        long sum = JVM_NATIVE_BASE;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            String name = p.getName();
            boolean young = name.contains("Eden") || name.contains("Survivor");
            if (p.getType() == MemoryType.HEAP) sum += young ? Math.max(p.getUsage().getCommitted(), p.getUsage().getUsed()) : p.getUsage().getUsed();
            else sum += p.getUsage().getCommitted();
        }
        return sum;
    }

    /** {@code memory ~1.17 GiB (731 MiB weights, 800 KiB KV cache, 240 MiB runtime)}. */
    String describe() {
        return String.format(Locale.ROOT, "memory ~%s (%s weights%s, %s KV cache, %s runtime)", Numbers.bytes(total()), Numbers.bytes(weights),
                packed > 0 ? " with " + Numbers.bytes(packed) + " packed" : "", Numbers.bytes(kvCache), Numbers.bytes(runtime));
    }

    /** The process's peak resident memory so far (VmHWM), or -1 where /proc is missing. */
    static long peakResident() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: no figure
        }
        return -1;
    }
}
