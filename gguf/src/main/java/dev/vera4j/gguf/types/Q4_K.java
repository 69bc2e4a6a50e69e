package dev.vera4j.gguf.types;

import dev.vera4j.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * {@link GgmlType#Q4_K}: super-blocks of 256 values in 144 bytes, as 8 sub-blocks of 32 with their own scale and min.
 *
 * <pre>
 * offset size field
 *      0    2 d          f16 scale of the sub-block scales
 *      2    2 dmin       f16 scale of the sub-block mins
 *      4   12 scales     eight 6-bit scales sc[j] and mins m[j], packed as {@link KScales} describes
 *     16  128 qs[128]    4 chunks of 32 bytes; chunk c holds sub-block 2c in its low nibbles, 2c+1 in its high nibbles
 * value = (d * sc[j]) * q - dmin * m[j]   for a value of sub-block j with 4-bit quant q
 * </pre>
 * Encoding (ggml {@code quantize_row_q4_K_ref}): {@link MinMaxEncoder} with 4-bit levels and 21 candidate scales per
 * sub-block.
 *
 * <pre>{@code
 * Codecs.of(GgmlType.Q4_K).dequantize(tensor.data(), rowBytes * r, out, 0, cols);
 * }</pre>
 */
final class Q4_K extends BlockCodec {
    private static final int BLOCK = 256;
    private static final int BYTES = 144;

    Q4_K() { super(GgmlType.Q4_K); }

    @Override
    void dequantizeScalar(MemorySegment src, long offset, float[] dst, int dstOffset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BYTES;
            int y = dstOffset + b * BLOCK;
            float d = Le.f16(src, o);
            float dmin = Le.f16(src, o + 2);
            for (int c = 0; c < 4; c++) {
                float d1 = d * KScales.scale(src, o + 4, 2 * c);
                float m1 = dmin * KScales.min(src, o + 4, 2 * c);
                float d2 = d * KScales.scale(src, o + 4, 2 * c + 1);
                float m2 = dmin * KScales.min(src, o + 4, 2 * c + 1);
                long q = o + 16 + 32L * c;
                int out = y + 64 * c;
                for (int l = 0; l < 32; l++) {
                    int v = Le.u8(src, q + l);
                    dst[out + l] = d1 * (v & 0x0F) - m1;
                    dst[out + 32 + l] = d2 * (v >>> 4) - m2;
                }
            }
        }
    }

    @Override
    void dequantizeFast(MemorySegment src, long offset, float[] dst, int dstOffset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BYTES;
            int y = dstOffset + b * BLOCK;
            float d = Le.f16(src, o);
            float dmin = Le.f16(src, o + 2);
            for (int c = 0; c < 4; c++) {
                float d1 = d * KScales.scale(src, o + 4, 2 * c);
                float m1 = dmin * KScales.min(src, o + 4, 2 * c);
                float d2 = d * KScales.scale(src, o + 4, 2 * c + 1);
                float m2 = dmin * KScales.min(src, o + 4, 2 * c + 1);
                long q = o + 16 + 32L * c;
                int out = y + 64 * c;
                for (int l = 0; l < 32; l += Simd.LANES) {
                    ByteVector v = ByteVector.fromMemorySegment(Simd.B, src, q + l, ByteOrder.LITTLE_ENDIAN);
                    FloatVector lo = (FloatVector) v.and((byte) 0x0F).convertShape(VectorOperators.B2F, Simd.F, 0);
                    FloatVector hi = (FloatVector) v.lanewise(VectorOperators.LSHR, 4)
                            .convertShape(VectorOperators.B2F, Simd.F, 0);
                    // multiply then subtract, two roundings, as the scalar code (no fused multiply-add)
                    lo.mul(d1).sub(m1).intoArray(dst, out + l);
                    hi.mul(d2).sub(m2).intoArray(dst, out + 32 + l);
                }
            }
        }
    }

    @Override
    public boolean canQuantize() { return true; }

    @Override
    void quantizeBlocks(float[] src, int srcOffset, MemorySegment dst, long offset, int blocks) {
        MinMaxEncoder encoder = new MinMaxEncoder(15, -1f, 20);
        byte[] levels = encoder.levels;
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BYTES;
            encoder.encode(src, srcOffset + b * BLOCK, dst, o);
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l++) {
                    Le.putU8(dst, o + 16 + 32L * c + l, levels[64 * c + l] | (levels[64 * c + 32 + l] << 4));
                }
            }
        }
    }
}
