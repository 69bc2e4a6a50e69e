package dev.vera4j.gguf.types;

import dev.vera4j.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * {@link GgmlType#F32}: plain IEEE floats, 4 bytes each, little-endian. Decoding and encoding are copies.
 *
 * <pre>{@code
 * Codecs.of(GgmlType.F32).dequantize(tensor.data(), 0, out, 0, out.length);
 * }</pre>
 */
final class F32Codec extends BlockCodec {
    F32Codec() { super(GgmlType.F32); }

    @Override
    void dequantizeScalar(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
        for (int i = 0; i < count; i++) {
            dst[dstOffset + i] = src.get(Le.FLOAT, offset + 4L * i);
        }
    }

    @Override
    void dequantizeFast(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
        MemorySegment.copy(src, Le.FLOAT, offset, dst, dstOffset, count);
    }

    @Override
    public boolean canQuantize() { return true; }

    @Override
    void quantizeBlocks(float[] src, int srcOffset, MemorySegment dst, long offset, int count) {
        MemorySegment.copy(src, srcOffset, dst, Le.FLOAT, offset, count);
    }
}
