package dev.vera4j.gguf.types;

import dev.vera4j.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * {@link GgmlType#Q2_K}: super-blocks of 256 values in 84 bytes, as 16 sub-blocks of 16 with 4-bit scales and mins.
 *
 * <pre>
 * offset size field
 *      0   16 scales[16] byte j: scale of sub-block j in the low nibble, its min in the high nibble
 *     16   64 qs[64]     2-bit quants: two halves of 32 bytes; in half h, bits 2s..2s+1 of byte l hold
 *                        value 128h + 32s + l
 *     80    2 d          f16 scale of the scales
 *     82    2 dmin       f16 scale of the mins
 * value = (d * (scales[j] &amp; 15)) * q - dmin * (scales[j] &gt;&gt; 4)   for a value of sub-block j
 * </pre>
 * Encoding (ggml {@code quantize_row_q2_K_ref}): each sub-block gets a scale and min from
 * {@link ScaleSearch#minMaxScale} (weights |x|, absolute error, 16 candidates); both are quantized to 4 bits against
 * the largest of each, and the quants are recomputed against the stored scales.
 *
 * <pre>{@code
 * Codecs.of(GgmlType.Q2_K).dequantize(segment, 0, out, 0, 256);
 * }</pre>
 */
final class Q2_K extends BlockCodec {
    private static final int BLOCK = 256;
    private static final int BYTES = 84;

    Q2_K() { super(GgmlType.Q2_K); }

    @Override
    void dequantizeScalar(MemorySegment src, long offset, float[] dst, int dstOffset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BYTES;
            float d = Le.f16(src, o + 80);
            float dmin = Le.f16(src, o + 82);
            int y = dstOffset + b * BLOCK;
            int is = 0;
            for (int h = 0; h < 2; h++) {
                long q = o + 16 + 32L * h;
                for (int s = 0; s < 4; s++) {
                    int shift = 2 * s;
                    for (int part = 0; part < 2; part++) {
                        int sc = Le.u8(src, o + is++);
                        float dl = d * (sc & 0x0F);
                        float ml = dmin * (sc >>> 4);
                        for (int l = 0; l < 16; l++) {
                            dst[y++] = dl * ((Le.u8(src, q + 16 * part + l) >>> shift) & 3) - ml;
                        }
                    }
                }
            }
        }
    }

    @Override
    void dequantizeFast(MemorySegment src, long offset, float[] dst, int dstOffset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BYTES;
            float d = Le.f16(src, o + 80);
            float dmin = Le.f16(src, o + 82);
            int y = dstOffset + b * BLOCK;
            int is = 0;
            for (int h = 0; h < 2; h++) {
                long q = o + 16 + 32L * h;
                for (int s = 0; s < 4; s++) {
                    int shift = 2 * s;
                    for (int part = 0; part < 2; part++) {
                        int sc = Le.u8(src, o + is++);
                        float dl = d * (sc & 0x0F);
                        float ml = dmin * (sc >>> 4);
                        for (int l = 0; l < 16; l += Simd.LANES) {
                            ByteVector v = ByteVector.fromMemorySegment(Simd.B, src, q + 16 * part + l,
                                    ByteOrder.LITTLE_ENDIAN);
                            ((FloatVector) v.lanewise(VectorOperators.LSHR, shift).and((byte) 3)
                                    .convertShape(VectorOperators.B2F, Simd.F, 0)).mul(dl).sub(ml).intoArray(dst, y + l);
                        }
                        y += 16;
                    }
                }
            }
        }
    }

    @Override
    public boolean canQuantize() { return true; }

    @Override
    void quantizeBlocks(float[] src, int srcOffset, MemorySegment dst, long offset, int blocks) {
        byte[] levels = new byte[BLOCK];
        byte[] aux = new byte[16];
        float[] weights = new float[16];
        float[] scales = new float[16];
        float[] mins = new float[16];
        int[] packed = new int[16];
        for (int b = 0; b < blocks; b++) {
            int x = srcOffset + b * BLOCK;
            long o = offset + (long) b * BYTES;
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < 16; j++) {
                for (int l = 0; l < 16; l++) weights[l] = Math.abs(src[x + 16 * j + l]);
                scales[j] = ScaleSearch.minMaxScale(16, 3, src, x + 16 * j, weights, levels, 16 * j, mins, j, aux,
                        -0.5f, 0.1f, 15, true);
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }
            if (maxScale > 0) {
                float iscale = 15f / maxScale;
                for (int j = 0; j < 16; j++) packed[j] = Rounding.nearestInt(iscale * scales[j]) & 0xFF;
                Le.putF16(dst, o + 80, maxScale / 15f);
            } else {
                Arrays.fill(packed, 0);
                Le.putF16(dst, o + 80, 0f);
            }
            if (maxMin > 0) {
                float iscale = 15f / maxMin;
                for (int j = 0; j < 16; j++) packed[j] = (packed[j] | (Rounding.nearestInt(iscale * mins[j]) << 4)) & 0xFF;
                Le.putF16(dst, o + 82, maxMin / 15f);
            } else {
                Le.putF16(dst, o + 82, 0f);
            }
            for (int j = 0; j < 16; j++) Le.putU8(dst, o + j, packed[j]);
            float d = Le.f16(dst, o + 80);
            float dmin = Le.f16(dst, o + 82);
            for (int j = 0; j < 16; j++) {
                float dj = d * (packed[j] & 0x0F);
                if (dj == 0) continue;
                float dm = dmin * (packed[j] >>> 4);
                for (int i = 0; i < 16; i++) {
                    int l = Rounding.nearestInt((src[x + 16 * j + i] + dm) / dj);
                    levels[16 * j + i] = (byte) Math.max(0, Math.min(3, l));
                }
            }
            for (int h = 0; h < 2; h++) {
                int base = 128 * h;
                for (int l = 0; l < 32; l++) {
                    Le.putU8(dst, o + 16 + 32L * h + l, levels[base + l] | (levels[base + l + 32] << 2)
                            | (levels[base + l + 64] << 4) | (levels[base + l + 96] << 6));
                }
            }
        }
    }
}
