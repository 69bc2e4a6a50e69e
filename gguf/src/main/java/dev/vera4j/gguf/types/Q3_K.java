package dev.vera4j.gguf.types;

import dev.vera4j.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * {@link GgmlType#Q3_K}: super-blocks of 256 values in 110 bytes, as 16 sub-blocks of 16 with signed 6-bit scales.
 *
 * <pre>
 * offset size field
 *      0   32 hmask[32]  high bit of each quant: bit m of byte l belongs to value 32m + l
 *     32   64 qs[64]     low 2 bits: two halves of 32 bytes; in half h, bits 2s..2s+1 of byte l hold
 *                        value 128h + 32s + l
 *     96   12 scales     sixteen 6-bit scales: the low 4 bits of scale j are the low (j &lt; 8) or high (j ≥ 8)
 *                        nibble of byte j mod 8; its top 2 bits are bits 2(j/4)..2(j/4)+1 of byte 8 + j mod 4
 *    108    2 d          f16 super-block scale
 * value = (d * (scale[j] - 32)) * (low2 - (high bit set ? 0 : 4))   for a value of sub-block j
 * </pre>
 * Encoding (ggml {@code quantize_row_q3_K_ref}): each sub-block gets a signed scale from
 * {@link ScaleSearch#refinedSymmetricScale} (levels -4..3); the scales are quantized to 6 bits against the one of
 * largest magnitude ({@code d = max / -32}), and the quants are recomputed against the stored scales.
 *
 * <pre>{@code
 * Codecs.of(GgmlType.Q3_K).dequantize(segment, 0, out, 0, 256);
 * }</pre>
 */
final class Q3_K extends BlockCodec {
    private static final int BLOCK = 256;
    private static final int BYTES = 110;

    Q3_K() { super(GgmlType.Q3_K); }

    @Override
    void dequantizeScalar(MemorySegment src, long offset, float[] dst, int dstOffset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BYTES;
            float dAll = Le.f16(src, o + 108);
            int y = dstOffset + b * BLOCK;
            int is = 0;
            int m = 1;
            for (int h = 0; h < 2; h++) {
                long q = o + 32 + 32L * h;
                for (int s = 0; s < 4; s++) {
                    int shift = 2 * s;
                    for (int part = 0; part < 2; part++) {
                        float dl = dAll * (scale(src, o + 96, is++) - 32);
                        for (int l = 0; l < 16; l++) {
                            int low = (Le.u8(src, q + 16 * part + l) >>> shift) & 3;
                            int high = (Le.u8(src, o + 16 * part + l) & m) != 0 ? 0 : 4;
                            dst[y++] = dl * (low - high);
                        }
                    }
                    m <<= 1;
                }
            }
        }
    }

    /** The unsigned 6-bit scale {@code j} of the 12-byte field at {@code offset}. */
    private static int scale(MemorySegment src, long offset, int j) {
        int low = j < 8 ? Le.u8(src, offset + j) & 0x0F : Le.u8(src, offset + j - 8) >>> 4;
        int high = (Le.u8(src, offset + 8 + (j & 3)) >>> (2 * (j >>> 2))) & 3;
        return low | (high << 4);
    }

    @Override
    void dequantizeFast(MemorySegment src, long offset, float[] dst, int dstOffset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BYTES;
            float dAll = Le.f16(src, o + 108);
            int y = dstOffset + b * BLOCK;
            int is = 0;
            int bit = 0;
            for (int h = 0; h < 2; h++) {
                long q = o + 32 + 32L * h;
                for (int s = 0; s < 4; s++) {
                    int shift = 2 * s;
                    for (int part = 0; part < 2; part++) {
                        float dl = dAll * (scale(src, o + 96, is++) - 32);
                        for (int l = 0; l < 16; l += Simd.LANES) {
                            ByteVector low = ByteVector.fromMemorySegment(Simd.B, src, q + 16 * part + l,
                                    ByteOrder.LITTLE_ENDIAN).lanewise(VectorOperators.LSHR, shift).and((byte) 3);
                            // 4 where the high bit is clear, 0 where it is set
                            ByteVector minus = ByteVector.fromMemorySegment(Simd.B, src, o + 16 * part + l,
                                    ByteOrder.LITTLE_ENDIAN).lanewise(VectorOperators.LSHR, bit).and((byte) 1)
                                    .lanewise(VectorOperators.XOR, (byte) 1).lanewise(VectorOperators.LSHL, 2);
                            ((FloatVector) low.sub(minus).convertShape(VectorOperators.B2F, Simd.F, 0)).mul(dl)
                                    .intoArray(dst, y + l);
                        }
                        y += 16;
                    }
                    bit++;
                }
            }
        }
    }

    @Override
    public boolean canQuantize() { return true; }

    @Override
    void quantizeBlocks(float[] src, int srcOffset, MemorySegment dst, long offset, int blocks) {
        byte[] levels = new byte[BLOCK];
        float[] scales = new float[16];
        byte[] packed = new byte[12];
        for (int b = 0; b < blocks; b++) {
            int x = srcOffset + b * BLOCK;
            long o = offset + (long) b * BYTES;
            float maxScale = 0;
            float amax = 0;
            for (int j = 0; j < 16; j++) {
                scales[j] = ScaleSearch.refinedSymmetricScale(16, 4, src, x + 16 * j, levels, 16 * j);
                if (Math.abs(scales[j]) > amax) {
                    amax = Math.abs(scales[j]);
                    maxScale = scales[j];
                }
            }
            Arrays.fill(packed, (byte) 0);
            if (maxScale != 0) {
                float iscale = -32f / maxScale;
                for (int j = 0; j < 16; j++) {
                    // ggml narrows to int8 before clamping
                    int l = Math.max(-32, Math.min(31, (byte) Rounding.nearestInt(iscale * scales[j]))) + 32;
                    if (j < 8) {
                        packed[j] = (byte) (l & 0x0F);
                    } else {
                        packed[j - 8] |= (byte) ((l & 0x0F) << 4);
                    }
                    packed[8 + j % 4] |= (byte) ((l >>> 4) << (2 * (j / 4)));
                }
                Le.putF16(dst, o + 108, 1 / iscale);
            } else {
                Le.putF16(dst, o + 108, 0f);
            }
            MemorySegment.copy(packed, 0, dst, ValueLayout.JAVA_BYTE, o + 96, 12);
            float d = Le.f16(dst, o + 108);
            for (int j = 0; j < 16; j++) {
                float dj = d * (scale(dst, o + 96, j) - 32);
                if (dj == 0) continue;
                for (int i = 0; i < 16; i++) {
                    int l = Rounding.nearestInt(src[x + 16 * j + i] / dj);
                    levels[16 * j + i] = (byte) (Math.max(-4, Math.min(3, l)) + 4);
                }
            }
            // high bits: value j's goes to bit j / 32 of hmask[j % 32]
            for (int m = 0; m < 32; m++) {
                int bits = 0;
                for (int bit = 0; bit < 8; bit++) {
                    if (levels[32 * bit + m] > 3) bits |= 1 << bit;
                }
                Le.putU8(dst, o + m, bits);
            }
            for (int h = 0; h < 2; h++) {
                int base = 128 * h;
                for (int l = 0; l < 32; l++) {
                    Le.putU8(dst, o + 32 + 32L * h + l, (levels[base + l] & 3) | ((levels[base + l + 32] & 3) << 2)
                            | ((levels[base + l + 64] & 3) << 4) | ((levels[base + l + 96] & 3) << 6));
                }
            }
        }
    }
}
