package dev.vera4j.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The parameters of one kernel launch, packed as {@code cuLaunchKernel} reads them: an array of pointers, one per
 * parameter, to the parameter's bytes. Both live in native memory allocated once, so packing and launching allocate
 * nothing; the driver copies the values at launch, so the slots can be refilled right after. One instance per
 * launching thread.
 *
 * <pre>{@code
 * args.begin().ptr(a.address()).ptr(b.address()).i32(n).launch(addKernel, (n + 255) / 256, 1, 256, 0, stream);
 * }</pre>
 */
public final class KernelArgs implements AutoCloseable {
    /** More than any vera4j kernel takes. */
    static final int MAX = 16;
    private static final long SLOT = 8;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment values;
    private final MemorySegment pointers;
    private int count;

    public KernelArgs() {
        this.values = arena.allocate(MAX * SLOT, 16);
        this.pointers = arena.allocate(ValueLayout.ADDRESS.byteSize() * MAX, 16);
        for (int i = 0; i < MAX; i++) pointers.setAtIndex(ValueLayout.ADDRESS, i, values.asSlice(i * SLOT, SLOT));
    }

    /** Starts a new parameter list. */
    public KernelArgs begin() {
        count = 0;
        return this;
    }

    /** A device pointer (or any 64-bit value). */
    public KernelArgs ptr(long address) { return i64(address); }

    public KernelArgs i64(long v) {
        values.set(ValueLayout.JAVA_LONG, slot(), v);
        return this;
    }

    public KernelArgs i32(int v) {
        values.set(ValueLayout.JAVA_INT, slot(), v);
        return this;
    }

    public KernelArgs f32(float v) {
        values.set(ValueLayout.JAVA_FLOAT, slot(), v);
        return this;
    }

    /** Parameters packed since {@link #begin}. */
    public int count() { return count; }

    /** The bytes of parameter {@code i} as a long (for tests of the packing). */
    long raw(int i) { return values.get(ValueLayout.JAVA_LONG, i * SLOT); }

    /** Whether {@link #pointers} entry {@code i} points at slot {@code i}. */
    boolean pointsAt(int i) { return pointers.getAtIndex(ValueLayout.ADDRESS, i).address() == values.address() + i * SLOT; }

    private long slot() {
        if (count == MAX) throw new IllegalStateException("more than " + MAX + " kernel parameters");
        long offset = count++ * SLOT;
        values.set(ValueLayout.JAVA_LONG, offset, 0L);   // a 4-byte value leaves no stale high bytes behind
        return offset;
    }

    /** Launches {@code f} on a {@code gridX × gridY} grid of {@code block}-thread blocks with the packed parameters. */
    public void launch(CudaFunction f, int gridX, int gridY, int block, int sharedBytes, CudaStream stream) {
        if (gridX <= 0 || gridY <= 0) return;   // nothing to do (an empty batch)
        stream.device().driver().launchKernel(f.handle(), gridX, gridY, 1, block, 1, 1, sharedBytes, stream.handle(), pointers, f.name());
    }

    @Override
    public void close() { arena.close(); }
}
