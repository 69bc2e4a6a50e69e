package dev.vera4j.gguf.types;

import dev.vera4j.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * {@link GgmlType#Q8_0}: blocks of 32 values in 34 bytes.
 *
 * <pre>
 * offset size field
 *      0    2 d      f16 scale
 *      2   32 qs[32] int8 quants
 * value[j] = qs[j] * d
 * </pre>
 * Encoding (ggml {@code quantize_row_q8_0_ref}): {@code d = max|x| / 127}, {@code qs[j] = roundf(x[j] / d)} computed
 * as {@code x[j] * (1/d)}, with a zero block when {@code d == 0}.
 *
 * <pre>{@code
 * Codecs.of(GgmlType.Q8_0).dequantize(segment, 0, out, 0, 64);   // two blocks, 68 bytes
 * }</pre>
 */
final class Q8_0 extends BlockCodec {
    private static final int BLOCK = 32;
    private static final int BYTES = 34;

    Q8_0() { super(GgmlType.Q8_0); }

    @Override
    void dequantizeScalar(MemorySegment src, long offset, float[] dst, int dstOffset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BYTES;
            int y = dstOffset + b * BLOCK;
            float d = Le.f16(src, o);
            for (int j = 0; j < BLOCK; j++) {
                dst[y + j] = Le.i8(src, o + 2 + j) * d;
            }
        }
    }

    @Override
    void dequantizeFast(MemorySegment src, long offset, float[] dst, int dstOffset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BYTES;
            int y = dstOffset + b * BLOCK;
            float d = Le.f16(src, o);
            for (int j = 0; j < BLOCK; j += Simd.LANES) {
                ByteVector q = ByteVector.fromMemorySegment(Simd.B, src, o + 2 + j, ByteOrder.LITTLE_ENDIAN);
                ((FloatVector) q.convertShape(VectorOperators.B2F, Simd.F, 0)).mul(d).intoArray(dst, y + j);
            }
        }
    }

    @Override
    public boolean canQuantize() { return true; }

    @Override
    void quantizeBlocks(float[] src, int srcOffset, MemorySegment dst, long offset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            int x = srcOffset + b * BLOCK;
            long o = offset + (long) b * BYTES;
            float amax = 0;
            for (int j = 0; j < BLOCK; j++) {
                amax = Math.max(amax, Math.abs(src[x + j]));
            }
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            Le.putF16(dst, o, d);
            for (int j = 0; j < BLOCK; j++) {
                Le.putU8(dst, o + 2 + j, Rounding.roundHalfAway(src[x + j] * id));
            }
        }
    }
}
