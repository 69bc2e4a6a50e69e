package dev.vera4j.simd;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Where a heap {@code float[]}'s elements sit relative to 64-byte cache lines, so that a kernel can start its data on a
 * line boundary.
 *
 * <p>Why: a 512-bit load that straddles two lines costs two. The panel GEMM ({@link PanelJob}) ran at 150–158 GFLOP/s
 * per core when its decoded panel or its activations started on a line and at 116–130 when neither did, and which
 * one a run got depended on where the JVM placed the arrays (measured in one-thread harnesses, all 32 offset pairs in
 * one JVM; docs/benchmark-log.md, "Prefill"). Java does not expose an array's address, but a critical downcall (which may
 * take heap memory) to C's {@code memmove} with a length of 0 returns its destination pointer unchanged. The answer
 * holds until the GC moves the array; a moved array only costs speed, never correctness.
 */
public final class CacheLines {
    static final int BYTES = 64;
    /** Extra floats to allocate so that an array holds its data from {@link #firstAligned} on. */
    public static final int SLACK = BYTES / Float.BYTES - 1;
    /** {@code void* memmove(void*, const void*, size_t)}, or null where the C library or native access is missing. */
    private static final MethodHandle MEMMOVE = memmove();

    private CacheLines() {}

    /** {@code floats} rounded up to whole lines: a row stride that keeps every row on a line when the first one is. */
    public static int wholeLines(int floats) {
        return (floats + SLACK) & ~SLACK;
    }

    private static MethodHandle memmove() {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("memmove").map(f -> linker.downcallHandle(f,
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG),
                    Linker.Option.critical(true))).orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    /**
     * The smallest index {@code i < 16} such that {@code a[i]} starts a 64-byte line now, or 0 when that cannot be
     * found out. Allocate {@link #SLACK} floats more than needed and start the data there; threads sharing the array
     * must share one answer (ask once per job), or a move between their calls would make their ranges overlap.
     *
     * <pre>{@code
     * int stride = CacheLines.wholeLines(cols);
     * float[] tile = new float[rows * stride + CacheLines.SLACK];
     * int base = CacheLines.firstAligned(tile);   // row r at base + r * stride
     * }</pre>
     */
    public static int firstAligned(float[] a) {
        if (MEMMOVE == null || a.length == 0) return 0;
        try {
            MemorySegment s = MemorySegment.ofArray(a);
            long address = (long) MEMMOVE.invokeExact(s, s, 0L);
            return (int) ((BYTES - (address & (BYTES - 1))) & (BYTES - 1)) / Float.BYTES;
        } catch (Throwable e) {
            return 0;
        }
    }
}
