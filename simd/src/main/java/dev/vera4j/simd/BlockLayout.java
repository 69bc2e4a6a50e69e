package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A {@link PackedLayout} that reorders bytes within each block only: a packed block has the size of a GGUF block and sits
 * where that block sat, so rows keep their offsets. Subclasses say how one block is reordered and back.
 */
abstract class BlockLayout implements PackedLayout {
    private final GgmlType type;

    BlockLayout(GgmlType type) { this.type = type; }

    @Override
    public GgmlType type() { return type; }

    @Override
    public boolean accepts(Weights w) { return w.type() == type && acceptsShape(w.rows(), w.cols()); }

    /** Writes the packed form of the GGUF block at {@code src[s]} to {@code dst[d]}. */
    abstract void packBlock(MemorySegment src, long s, MemorySegment dst, long d);

    /** Writes the GGUF form of the packed block at {@code src[s]} to {@code dst[d]}: the inverse of {@link #packBlock}. */
    abstract void unpackBlock(MemorySegment src, long s, MemorySegment dst, long d);

    @Override
    public MemorySegment pack(Weights w, Arena arena, WorkerPool pool) {
        long rowBytes = w.rowBytes(), blockBytes = type.typeSize();
        MemorySegment src = w.data(), dst = OsMemory.allocateHuge(arena, rowBytes * w.rows());
        pool.parallelFor(w.rows(), (start, end) -> {
            for (long p = start * rowBytes, e = end * rowBytes; p < e; p += blockBytes) packBlock(src, p, dst, p);
        });
        return dst;
    }

    /** The packed 256-value layouts decode each run transposed (see {@link PackedLayout#decodeRow}). */
    @Override
    public boolean transposedRuns() { return true; }

    @Override
    public void decodeRow(MemorySegment packed, int row, int cols, float[] out, int o, MemorySegment scratch) {
        decodeRuns(packed, type.bytesFor(cols) * row, cols / 256, out, o);
    }

    /** Decodes {@code runs} packed super-blocks from {@code packed[off]} into {@code out[o ..]}, each run transposed. */
    abstract void decodeRuns(MemorySegment packed, long off, int runs, float[] out, int o);

    @Override
    public void unpackRow(MemorySegment packed, int row, int cols, MemorySegment out) {
        long rowBytes = type.bytesFor(cols), blockBytes = type.typeSize();
        for (long o = 0; o < rowBytes; o += blockBytes) unpackBlock(packed, rowBytes * row + o, out, o);
    }
}
