package dev.vera4j.gguf.types;

import dev.vera4j.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

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
 * Encoding (ggml {@code quantize_row_q4_K_ref}): each sub-block gets a scale and min from
 * {@link ScaleSearch#minMaxScale} (weights {@code rms + |x|}, 21 candidate scales); those are quantized to 6 bits
 * against the largest of each, and the quants are recomputed against the rounded scales.
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
        byte[] levels = new byte[BLOCK];
        byte[] aux = new byte[32];
        float[] weights = new float[32];
        float[] scales = new float[8];
        float[] mins = new float[8];
        int[] ls = new int[8];
        int[] lm = new int[8];
        byte[] packed = new byte[12];
        for (int b = 0; b < blocks; b++) {
            int x = srcOffset + b * BLOCK;
            long o = offset + (long) b * BYTES;
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < 8; j++) {
                int xs = x + 32 * j;
                float sumX2 = 0;
                for (int l = 0; l < 32; l++) sumX2 += src[xs + l] * src[xs + l];
                float avX = (float) Math.sqrt(sumX2 / 32);
                for (int l = 0; l < 32; l++) weights[l] = avX + Math.abs(src[xs + l]);
                scales[j] = ScaleSearch.minMaxScale(32, 15, src, xs, weights, levels, 32 * j, mins, j, aux,
                        -1f, 0.1f, 20, false);
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }
            float invScale = maxScale > 0 ? 63f / maxScale : 0f;
            float invMin = maxMin > 0 ? 63f / maxMin : 0f;
            for (int j = 0; j < 8; j++) {
                ls[j] = Math.min(63, Rounding.nearestInt(invScale * scales[j]) & 0xFF);
                lm[j] = Math.min(63, Rounding.nearestInt(invMin * mins[j]) & 0xFF);
            }
            Arrays.fill(packed, (byte) 0);
            KScales.pack(ls, lm, packed);
            Le.putF16(dst, o, maxScale / 63f);
            Le.putF16(dst, o + 2, maxMin / 63f);
            MemorySegment.copy(packed, 0, dst, ValueLayout.JAVA_BYTE, o + 4, 12);
            // requantize against the scales as stored, so the decoder sees the quants that fit them best
            float d = Le.f16(dst, o);
            float dmin = Le.f16(dst, o + 2);
            for (int j = 0; j < 8; j++) {
                float dj = d * KScales.scale(dst, o + 4, j);
                if (dj == 0) continue;
                float dm = dmin * KScales.min(dst, o + 4, j);
                for (int i = 0; i < 32; i++) {
                    int l = Rounding.nearestInt((src[x + 32 * j + i] + dm) / dj);
                    levels[32 * j + i] = (byte) Math.max(0, Math.min(15, l));
                }
            }
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; l++) {
                    Le.putU8(dst, o + 16 + 32L * c + l, levels[64 * c + l] | (levels[64 * c + 32 + l] << 4));
                }
            }
        }
    }
}
