package dev.vera4j.gguf.types;

import dev.vera4j.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * {@link GgmlType#Q4_0}: blocks of 32 values in 18 bytes.
 *
 * <pre>
 * offset size field
 *      0    2 d      f16 scale
 *      2   16 qs[16] byte j holds value j in its low nibble and value j + 16 in its high nibble
 * value[j] = (nibble - 8) * d
 * </pre>
 * Encoding (ggml {@code quantize_row_q4_0_ref}): take {@code m}, the value of largest magnitude (first one on ties),
 * {@code d = m / -8}; nibble = {@code min(15, trunc(x * (1/d) + 8.5))}.
 *
 * <pre>{@code
 * Codecs.of(GgmlType.Q4_0).quantize(x, 0, 32, segment, 0);   // 18 bytes
 * }</pre>
 */
final class Q4_0 extends BlockCodec {
    private static final int BLOCK = 32;
    private static final int BYTES = 18;

    Q4_0() { super(GgmlType.Q4_0); }

    @Override
    void dequantizeScalar(MemorySegment src, long offset, float[] dst, int dstOffset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BYTES;
            int y = dstOffset + b * BLOCK;
            float d = Le.f16(src, o);
            for (int j = 0; j < 16; j++) {
                int q = Le.u8(src, o + 2 + j);
                dst[y + j] = ((q & 0x0F) - 8) * d;
                dst[y + j + 16] = ((q >>> 4) - 8) * d;
            }
        }
    }

    @Override
    void dequantizeFast(MemorySegment src, long offset, float[] dst, int dstOffset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BYTES;
            int y = dstOffset + b * BLOCK;
            float d = Le.f16(src, o);
            for (int j = 0; j < 16; j += Simd.LANES) {
                ByteVector q = ByteVector.fromMemorySegment(Simd.B, src, o + 2 + j, ByteOrder.LITTLE_ENDIAN);
                ByteVector lo = q.and((byte) 0x0F).sub((byte) 8);
                ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
                ((FloatVector) lo.convertShape(VectorOperators.B2F, Simd.F, 0)).mul(d).intoArray(dst, y + j);
                ((FloatVector) hi.convertShape(VectorOperators.B2F, Simd.F, 0)).mul(d).intoArray(dst, y + j + 16);
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
            float max = 0;
            for (int j = 0; j < BLOCK; j++) {
                float v = src[x + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            Le.putF16(dst, o, d);
            for (int j = 0; j < 16; j++) {
                int q0 = Math.min(15, (byte) (int) (src[x + j] * id + 8.5f));
                int q1 = Math.min(15, (byte) (int) (src[x + j + 16] * id + 8.5f));
                Le.putU8(dst, o + 2 + j, q0 | (q1 << 4));
            }
        }
    }
}
