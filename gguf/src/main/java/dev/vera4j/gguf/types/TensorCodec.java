package dev.vera4j.gguf.types;

import dev.vera4j.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * Converts the blocks of one {@link GgmlType} to and from floats.
 *
 * <p>All counts are in values and must be a whole number of the type's blocks; byte offsets may be unaligned. Reads
 * and writes are little-endian, as in GGUF files. Codecs are stateless and safe to share between threads.
 *
 * <pre>{@code
 * TensorCodec codec = Codecs.of(tensor.type());
 * float[] row = new float[tensor.cols()];
 * codec.dequantize(tensor.data(), 0, row, 0, row.length);        // first row
 * }</pre>
 */
public interface TensorCodec {

    /** The type this codec reads and writes. */
    GgmlType type();

    /**
     * Decodes {@code count} values starting at byte {@code srcByteOffset} of {@code src} into
     * {@code dst[dstOffset .. dstOffset + count)}, by the fastest path available (Vector API where the type has one).
     * The result is bit-identical to {@link #dequantizeReference}.
     *
     * @throws IllegalArgumentException if {@code count} is not a whole number of blocks or a range is out of bounds
     */
    void dequantize(MemorySegment src, long srcByteOffset, float[] dst, int dstOffset, int count);

    /** Same as {@link #dequantize}, by plain scalar code that follows ggml's reference arithmetic step by step. */
    void dequantizeReference(MemorySegment src, long srcByteOffset, float[] dst, int dstOffset, int count);

    /** Whether {@link #quantize} is implemented for this type. */
    boolean canQuantize();

    /**
     * Encodes {@code src[srcOffset .. srcOffset + count)} into {@code type().bytesFor(count)} bytes at
     * {@code dstByteOffset} of {@code dst}, with the same arithmetic as ggml's reference quantizer for the type.
     *
     * @throws UnsupportedOperationException if {@link #canQuantize()} is false
     * @throws IllegalArgumentException      if {@code count} is not a whole number of blocks, a range is out of bounds
     *                                       or {@code dst} is read-only
     */
    void quantize(float[] src, int srcOffset, int count, MemorySegment dst, long dstByteOffset);
}
