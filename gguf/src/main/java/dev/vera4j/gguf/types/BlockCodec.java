package dev.vera4j.gguf.types;

import dev.vera4j.gguf.GgmlType;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Argument checking shared by all codecs; subclasses implement whole-block loops that may assume valid ranges.
 *
 * <p>Each subclass owns its loop over blocks (rather than a per-block callback here) so that the JIT sees one
 * monomorphic loop per type.
 */
abstract class BlockCodec implements TensorCodec {
    private final GgmlType type;

    BlockCodec(GgmlType type) { this.type = type; }

    @Override
    public final GgmlType type() { return type; }

    @Override
    public final void dequantize(MemorySegment src, long srcByteOffset, float[] dst, int dstOffset, int count) {
        int blocks = checkDequantize(src, srcByteOffset, dst, dstOffset, count);
        dequantizeFast(src, srcByteOffset, dst, dstOffset, blocks);
    }

    @Override
    public final void dequantizeReference(MemorySegment src, long srcByteOffset, float[] dst, int dstOffset, int count) {
        int blocks = checkDequantize(src, srcByteOffset, dst, dstOffset, count);
        dequantizeScalar(src, srcByteOffset, dst, dstOffset, blocks);
    }

    @Override
    public boolean canQuantize() { return false; }

    @Override
    public final void quantize(float[] src, int srcOffset, int count, MemorySegment dst, long dstByteOffset) {
        if (!canQuantize()) {
            throw new UnsupportedOperationException("quantizing to " + type + " is not supported");
        }
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(dst, "dst");
        int blocks = blocks(count);
        checkArrayRange("source", src.length, srcOffset, count);
        checkSegmentRange("destination", dst, dstByteOffset, type.bytesFor(count));
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("cannot quantize into a read-only segment");
        }
        quantizeBlocks(src, srcOffset, dst, dstByteOffset, blocks);
    }

    /** Plain scalar decoding of {@code blocks} whole blocks; ranges are already checked. */
    abstract void dequantizeScalar(MemorySegment src, long offset, float[] dst, int dstOffset, int blocks);

    /** The fastest decoding; types without a vector path use the scalar one. */
    void dequantizeFast(MemorySegment src, long offset, float[] dst, int dstOffset, int blocks) {
        dequantizeScalar(src, offset, dst, dstOffset, blocks);
    }

    /** Encoding of {@code blocks} whole blocks; only called when {@link #canQuantize()} is true. */
    void quantizeBlocks(float[] src, int srcOffset, MemorySegment dst, long offset, int blocks) {
        throw new UnsupportedOperationException("quantizing to " + type + " is not supported");
    }

    private int checkDequantize(MemorySegment src, long srcByteOffset, float[] dst, int dstOffset, int count) {
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(dst, "dst");
        int blocks = blocks(count);
        checkArrayRange("destination", dst.length, dstOffset, count);
        checkSegmentRange("source", src, srcByteOffset, type.bytesFor(count));
        return blocks;
    }

    private int blocks(int count) {
        if (count < 0 || count % type.blockSize() != 0) {
            throw new IllegalArgumentException(count + " values are not a whole number of " + type + " blocks of "
                    + type.blockSize());
        }
        return count / type.blockSize();
    }

    private static void checkArrayRange(String what, int length, int offset, int count) {
        if (offset < 0 || offset > length - count) {
            throw new IllegalArgumentException(what + " range [" + offset + ", " + ((long) offset + count)
                    + ") is outside the array of length " + length);
        }
    }

    private static void checkSegmentRange(String what, MemorySegment segment, long offset, long bytes) {
        if (offset < 0 || offset > segment.byteSize() - bytes) {
            throw new IllegalArgumentException(what + " bytes [" + offset + ", " + (offset + bytes)
                    + ") are outside the segment of " + segment.byteSize() + " bytes");
        }
    }
}
