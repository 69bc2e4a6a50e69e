package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A kernel's layout of one weight type: the same bytes as the GGUF rows, in the order that type's one-token kernel
 * reads fastest. {@link Weights#pack} makes the copy at load time; every product of the matrix then reads the copy
 * (products of several tokens put rows back together with {@link #unpackRow}), so the mapping's pages can leave memory.
 *
 * <pre>{@code
 * PackedLayout layout = KernelTable.of(GgmlType.Q6_K).layout();
 * MemorySegment copy = layout.pack(w, arena, pool);
 * layout.unpackRow(copy, 7, w.cols(), rowScratch);   // row 7's GGUF bytes again
 * }</pre>
 */
interface PackedLayout {
    GgmlType type();

    /** Whether {@code w} can be packed: its type, {@link #acceptsShape its shape}, and where the layout needs it, its values. */
    boolean accepts(Weights w);

    /** Whether a matrix of this shape can have a copy in this layout (e.g. whole groups of rows). */
    default boolean acceptsShape(int rows, int cols) { return true; }

    /** The packed copy of {@code w} (as many bytes as its rows), allocated in {@code arena} and written by {@code pool}. */
    MemorySegment pack(Weights w, Arena arena, WorkerPool pool);

    /** Writes row {@code row}'s GGUF bytes ({@code type().bytesFor(cols)}) from a packed copy into {@code out}. */
    void unpackRow(MemorySegment packed, int row, int cols, MemorySegment out);
}
