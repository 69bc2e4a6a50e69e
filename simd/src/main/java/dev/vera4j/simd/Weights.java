package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufTensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A weight matrix as stored in GGUF: {@code rows} output features, each a contiguous run of {@code cols} values
 * encoded in {@code type} ({@code type.bytesFor(cols)} bytes per row). The data stays in the mapping.
 *
 * <pre>{@code
 * Weights w = Weights.of(file.tensor("blk.0.ffn_down.weight"));
 * Weights fast = w.pack(arena, pool);   // with a packed copy when its type has a kernel layout
 * }</pre>
 *
 * @param packed null, or the same matrix in its type's {@link PackedLayout} (off the heap), which {@link MatMul}
 *     reads instead of {@code data}; see {@link #pack}
 */
public record Weights(MemorySegment data, GgmlType type, int rows, int cols, MemorySegment packed) {
    public Weights {
        if (cols % type.blockSize() != 0) throw new IllegalArgumentException(cols + " columns are not whole " + type + " blocks");
        if (data.byteSize() < (long) rows * type.bytesFor(cols)) {
            throw new IllegalArgumentException("weights of " + rows + "x" + cols + " " + type + " need " + (long) rows * type.bytesFor(cols) + " bytes, got " + data.byteSize());
        }
        PackedLayout layout = KernelTable.layout(type);
        if (packed != null && (layout == null || !layout.acceptsShape(rows, cols) || packed.byteSize() < (long) rows * type.bytesFor(cols))) {
            throw new IllegalArgumentException("no packed layout for " + rows + "x" + cols + " " + type + " of " + packed.byteSize() + " bytes");
        }
        data = plain(data);
        if (packed != null) packed = plain(packed);
    }

    /**
     * {@code s}, or for a slice of a file mapping the same bytes, with the same lifetime and read-only flag, seen as
     * plain native memory, as the copies packed in memory are (packed copies mapped from the cache file are seen so
     * too). C2 compiles a kernel's vector loads for the segment classes they have seen: once a kernel had read both
     * kinds it ran 3× slower (scripts/SegmentClassProfile.java). The mapping
     * itself stays with the {@link dev.vera4j.gguf.GgufTensor}, for {@link OsMemory#release}.
     */
    private static MemorySegment plain(MemorySegment s) {
        return s.isMapped() ? s.reinterpret(s.byteSize()) : s;
    }

    /** Weights read from {@code data} only. */
    public Weights(MemorySegment data, GgmlType type, int rows, int cols) {
        this(data, type, rows, cols, null);
    }

    /** A 2-D tensor of a GGUF file ({@code shape = {cols, rows}}). */
    public static Weights of(GgufTensor t) {
        if (t.rank() > 2) throw new IllegalArgumentException("tensor " + t.name() + " is not a matrix: " + t);
        return new Weights(t.data(), t.type(), t.rows(), t.cols());
    }

    /** Bytes per row. */
    public long rowBytes() { return type.bytesFor(cols); }

    /**
     * These weights with a packed copy in their type's kernel layout ({@link PackedLayout}), allocated in {@code arena}
     * and written by {@code pool}'s threads; or these weights themselves when they cannot have one (no layout for the
     * type, a layout that does not accept them, {@link Tuning#PACK} off, or no 512-bit int8 kernels on this machine).
     * Every product reads the copy from then on, so the caller may release the mapping's pages ({@link OsMemory#release}).
     */
    public Weights pack(Arena arena, WorkerPool pool) {
        PackedLayout layout = KernelTable.layout(type);
        if (packed != null || layout == null || !packingEnabled() || !layout.accepts(this)) return this;
        return new Weights(data, type, rows, cols, layout.pack(this, arena, pool));
    }

    /** Whether {@link #pack} makes copies on this machine: 512-bit int8 kernels and {@link Tuning#PACK} on. */
    public static boolean packingEnabled() { return Tuning.PACK && Int8.ENABLED; }
}
