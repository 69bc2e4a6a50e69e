package dev.vera4j.gguf.types;

import dev.vera4j.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * {@link GgmlType#Q4_1}: blocks of 32 values in 20 bytes.
 *
 * <pre>
 * offset size field
 *      0    2 d      f16 scale
 *      2    2 m      f16 minimum
 *      4   16 qs[16] byte j holds value j in its low nibble and value j + 16 in its high nibble
 * value[j] = nibble * d + m
 * </pre>
 * Encoding (ggml {@code quantize_row_q4_1_ref}): {@code d = (max - min) / 15}, {@code m = min},
 * nibble = {@code min(15, trunc((x - min) * (1/d) + 0.5))}.
 *
 * <pre>{@code
 * Codecs.of(GgmlType.Q4_1).quantize(x, 0, 32, segment, 0);   // 20 bytes
 * }</pre>
 */
final class Q4_1 extends BlockCodec {
    private static final int BLOCK = 32;
    private static final int BYTES = 20;

    Q4_1() { super(GgmlType.Q4_1); }

    @Override
    void dequantizeScalar(MemorySegment src, long offset, float[] dst, int dstOffset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BYTES;
            int y = dstOffset + b * BLOCK;
            float d = Le.f16(src, o);
            float m = Le.f16(src, o + 2);
            for (int j = 0; j < 16; j++) {
                int q = Le.u8(src, o + 4 + j);
                dst[y + j] = (q & 0x0F) * d + m;
                dst[y + j + 16] = (q >>> 4) * d + m;
            }
        }
    }

    @Override
    void dequantizeFast(MemorySegment src, long offset, float[] dst, int dstOffset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BYTES;
            int y = dstOffset + b * BLOCK;
            float d = Le.f16(src, o);
            float m = Le.f16(src, o + 2);
            for (int j = 0; j < 16; j += Simd.LANES) {
                ByteVector q = ByteVector.fromMemorySegment(Simd.B, src, o + 4 + j, ByteOrder.LITTLE_ENDIAN);
                FloatVector lo = (FloatVector) q.and((byte) 0x0F).convertShape(VectorOperators.B2F, Simd.F, 0);
                FloatVector hi = (FloatVector) q.lanewise(VectorOperators.LSHR, 4)
                        .convertShape(VectorOperators.B2F, Simd.F, 0);
                lo.mul(d).add(m).intoArray(dst, y + j);
                hi.mul(d).add(m).intoArray(dst, y + j + 16);
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
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (int j = 0; j < BLOCK; j++) {
                float v = src[x + j];
                if (v < min) min = v;
                if (v > max) max = v;
            }
            float d = (max - min) / 15;
            float id = d != 0 ? 1.0f / d : 0.0f;
            Le.putF16(dst, o, d);
            Le.putF16(dst, o + 2, min);
            for (int j = 0; j < 16; j++) {
                int q0 = Math.min(15, (byte) (int) ((src[x + j] - min) * id + 0.5f));
                int q1 = Math.min(15, (byte) (int) ((src[x + j + 16] - min) * id + 0.5f));
                Le.putU8(dst, o + 4 + j, q0 | (q1 << 4));
            }
        }
    }
}
