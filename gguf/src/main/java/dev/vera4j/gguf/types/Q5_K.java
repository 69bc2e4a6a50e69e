package dev.vera4j.gguf.types;

import dev.vera4j.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * {@link GgmlType#Q5_K}: super-blocks of 256 values in 176 bytes, as 8 sub-blocks of 32 with their own scale and min.
 *
 * <pre>
 * offset size field
 *      0    2 d        f16 scale of the sub-block scales
 *      2    2 dmin     f16 scale of the sub-block mins
 *      4   12 scales   eight 6-bit scales sc[j] and mins m[j], packed as {@link KScales} describes
 *     16   32 qh[32]   fifth bits: bit j of byte l belongs to value 32j + l
 *     48  128 qs[128]  low 4 bits: 4 chunks of 32 bytes; chunk c holds sub-block 2c (low nibbles) and 2c+1 (high)
 * value = (d * sc[j]) * q - dmin * m[j]   for a value of sub-block j with 5-bit quant q
 * </pre>
 * Encoding (ggml {@code quantize_row_q5_K_ref}): {@link MinMaxEncoder} with 5-bit levels and 16 candidate scales per
 * sub-block.
 *
 * <pre>{@code
 * Codecs.of(GgmlType.Q5_K).dequantize(segment, 0, out, 0, 256);
 * }</pre>
 */
final class Q5_K extends BlockCodec {
    private static final int BLOCK = 256;
    private static final int BYTES = 176;

    Q5_K() { super(GgmlType.Q5_K); }

    @Override
    void dequantizeScalar(MemorySegment src, long offset, float[] dst, int dstOffset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BYTES;
            float d = Le.f16(src, o);
            float dmin = Le.f16(src, o + 2);
            int y = dstOffset + b * BLOCK;
            for (int c = 0; c < 4; c++) {
                float d1 = d * KScales.scale(src, o + 4, 2 * c);
                float m1 = dmin * KScales.min(src, o + 4, 2 * c);
                float d2 = d * KScales.scale(src, o + 4, 2 * c + 1);
                float m2 = dmin * KScales.min(src, o + 4, 2 * c + 1);
                int u1 = 1 << (2 * c);
                int u2 = 2 << (2 * c);
                long q = o + 48 + 32L * c;
                for (int l = 0; l < 32; l++) {
                    int v = Le.u8(src, q + l);
                    int h = Le.u8(src, o + 16 + l);
                    dst[y + l] = d1 * ((v & 0x0F) + ((h & u1) != 0 ? 16 : 0)) - m1;
                    dst[y + 32 + l] = d2 * ((v >>> 4) + ((h & u2) != 0 ? 16 : 0)) - m2;
                }
                y += 64;
            }
        }
    }

    @Override
    void dequantizeFast(MemorySegment src, long offset, float[] dst, int dstOffset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BYTES;
            float d = Le.f16(src, o);
            float dmin = Le.f16(src, o + 2);
            int y = dstOffset + b * BLOCK;
            for (int c = 0; c < 4; c++) {
                float d1 = d * KScales.scale(src, o + 4, 2 * c);
                float m1 = dmin * KScales.min(src, o + 4, 2 * c);
                float d2 = d * KScales.scale(src, o + 4, 2 * c + 1);
                float m2 = dmin * KScales.min(src, o + 4, 2 * c + 1);
                long q = o + 48 + 32L * c;
                for (int l = 0; l < 32; l += Simd.LANES) {
                    ByteVector v = ByteVector.fromMemorySegment(Simd.B, src, q + l, ByteOrder.LITTLE_ENDIAN);
                    ByteVector h = ByteVector.fromMemorySegment(Simd.B, src, o + 16 + l, ByteOrder.LITTLE_ENDIAN);
                    ByteVector lo = v.and((byte) 0x0F)
                            .or(h.lanewise(VectorOperators.LSHR, 2 * c).and((byte) 1).lanewise(VectorOperators.LSHL, 4));
                    ByteVector hi = v.lanewise(VectorOperators.LSHR, 4)
                            .or(h.lanewise(VectorOperators.LSHR, 2 * c + 1).and((byte) 1).lanewise(VectorOperators.LSHL, 4));
                    ((FloatVector) lo.convertShape(VectorOperators.B2F, Simd.F, 0)).mul(d1).sub(m1).intoArray(dst, y + l);
                    ((FloatVector) hi.convertShape(VectorOperators.B2F, Simd.F, 0)).mul(d2).sub(m2)
                            .intoArray(dst, y + 32 + l);
                }
                y += 64;
            }
        }
    }

    @Override
    public boolean canQuantize() { return true; }

    @Override
    void quantizeBlocks(float[] src, int srcOffset, MemorySegment dst, long offset, int blocks) {
        MinMaxEncoder encoder = new MinMaxEncoder(31, -0.5f, 15);
        byte[] levels = encoder.levels;
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BYTES;
            encoder.encode(src, srcOffset + b * BLOCK, dst, o);
            for (int c = 0; c < 4; c++) {
                for (int j = 0; j < 32; j++) {
                    int l1 = levels[64 * c + j];
                    int l2 = levels[64 * c + 32 + j];
                    // the fifth bits of sub-blocks 2c and 2c+1 go to bits 2c and 2c+1 of qh[j]
                    int qh = (c == 0 ? 0 : Le.u8(dst, o + 16 + j)) | ((l1 >>> 4) << (2 * c)) | ((l2 >>> 4) << (2 * c + 1));
                    Le.putU8(dst, o + 16 + j, qh);
                    Le.putU8(dst, o + 48 + 32L * c + j, (l1 & 0x0F) | ((l2 & 0x0F) << 4));
                }
            }
        }
    }
}
