package dev.vera4j.gguf.types;

import dev.vera4j.gguf.GgmlType;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * {@link GgmlType#BF16}: bfloat16 values, 2 bytes each, little-endian: the upper 16 bits of an IEEE float.
 * Decoding shifts the bits into place; encoding rounds as {@link Bf16#fromFloat} does.
 *
 * <pre>{@code
 * Codecs.of(GgmlType.BF16).dequantize(tensor.data(), 0, out, 0, out.length);
 * }</pre>
 */
final class BF16Codec extends BlockCodec {
    BF16Codec() { super(GgmlType.BF16); }

    @Override
    void dequantizeScalar(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
        for (int i = 0; i < count; i++) {
            dst[dstOffset + i] = Bf16.toFloat(src.get(Le.SHORT, offset + 2L * i));
        }
    }

    @Override
    void dequantizeFast(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
        int lanes = Simd.LANES;
        int i = 0;
        for (; i <= count - lanes; i += lanes) {
            ShortVector h = ShortVector.fromMemorySegment(Simd.S, src, offset + 2L * i, ByteOrder.LITTLE_ENDIAN);
            // sign extension fills the upper bits, which the shift by 16 pushes out again
            ((IntVector) h.convertShape(VectorOperators.S2I, Simd.I, 0)).lanewise(VectorOperators.LSHL, 16)
                    .reinterpretAsFloats().intoArray(dst, dstOffset + i);
        }
        dequantizeScalar(src, offset + 2L * i, dst, dstOffset + i, count - i);
    }

    @Override
    public boolean canQuantize() { return true; }

    @Override
    void quantizeBlocks(float[] src, int srcOffset, MemorySegment dst, long offset, int count) {
        for (int i = 0; i < count; i++) {
            dst.set(Le.SHORT, offset + 2L * i, Bf16.fromFloat(src[srcOffset + i]));
        }
    }
}
