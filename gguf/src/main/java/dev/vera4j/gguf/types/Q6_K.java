package dev.vera4j.gguf.types;

import dev.vera4j.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * {@link GgmlType#Q6_K}: super-blocks of 256 values in 210 bytes, as 16 sub-blocks of 16 with signed 8-bit scales.
 *
 * <pre>
 * offset size field
 *      0  128 ql[128]     low 4 bits of the quants
 *    128   64 qh[64]      high 2 bits of the quants
 *    192   16 scales[16]  int8 sub-block scales
 *    208    2 d           f16 super-block scale
 * </pre>
 * The block is two halves of 128 values; half h uses {@code ql[64h ..]}, {@code qh[32h ..]}, {@code scales[8h ..]}.
 * Within a half, for l in 0..31 and byte a = ql[l], b = ql[l+32], c = qh[l]:
 * <pre>
 * value[l]      = (d * scales[l/16])     * (((a &amp; 15) | (c &amp; 3) &lt;&lt; 4)        - 32)
 * value[l + 32] = (d * scales[l/16 + 2]) * (((b &amp; 15) | (c &gt;&gt; 2 &amp; 3) &lt;&lt; 4)  - 32)
 * value[l + 64] = (d * scales[l/16 + 4]) * (((a &gt;&gt; 4)  | (c &gt;&gt; 4 &amp; 3) &lt;&lt; 4)  - 32)
 * value[l + 96] = (d * scales[l/16 + 6]) * (((b &gt;&gt; 4)  | (c &gt;&gt; 6) &lt;&lt; 4)      - 32)
 * </pre>
 * Encoding (ggml {@code quantize_row_q6_K_ref}): each sub-block gets a signed scale from
 * {@link ScaleSearch#symmetricScale} (levels -32..31); scales are quantized to int8 against the one of largest
 * magnitude ({@code d = max / -128}), and the quants are recomputed against the stored scales.
 *
 * <pre>{@code
 * Codecs.of(GgmlType.Q6_K).dequantize(tensor.data(), 0, out, 0, 256);
 * }</pre>
 */
final class Q6_K extends BlockCodec {
    private static final int BLOCK = 256;
    private static final int BYTES = 210;

    Q6_K() { super(GgmlType.Q6_K); }

    @Override
    void dequantizeScalar(MemorySegment src, long offset, float[] dst, int dstOffset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BYTES;
            float d = Le.f16(src, o + 208);
            for (int h = 0; h < 2; h++) {
                long ql = o + 64L * h;
                long qh = o + 128 + 32L * h;
                long sc = o + 192 + 8L * h;
                int y = dstOffset + b * BLOCK + 128 * h;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int a = Le.u8(src, ql + l);
                    int c = Le.u8(src, ql + l + 32);
                    int hi = Le.u8(src, qh + l);
                    int q1 = ((a & 0x0F) | ((hi & 3) << 4)) - 32;
                    int q2 = ((c & 0x0F) | (((hi >>> 2) & 3) << 4)) - 32;
                    int q3 = ((a >>> 4) | (((hi >>> 4) & 3) << 4)) - 32;
                    int q4 = ((c >>> 4) | ((hi >>> 6) << 4)) - 32;
                    dst[y + l] = d * Le.i8(src, sc + is) * q1;
                    dst[y + l + 32] = d * Le.i8(src, sc + is + 2) * q2;
                    dst[y + l + 64] = d * Le.i8(src, sc + is + 4) * q3;
                    dst[y + l + 96] = d * Le.i8(src, sc + is + 6) * q4;
                }
            }
        }
    }

    @Override
    void dequantizeFast(MemorySegment src, long offset, float[] dst, int dstOffset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BYTES;
            float d = Le.f16(src, o + 208);
            for (int h = 0; h < 2; h++) {
                long ql = o + 64L * h;
                long qh = o + 128 + 32L * h;
                long sc = o + 192 + 8L * h;
                int y = dstOffset + b * BLOCK + 128 * h;
                // LANES divides 16, so one chunk never straddles two sub-blocks
                for (int l = 0; l < 32; l += Simd.LANES) {
                    int is = l / 16;
                    ByteVector a = ByteVector.fromMemorySegment(Simd.B, src, ql + l, ByteOrder.LITTLE_ENDIAN);
                    ByteVector c = ByteVector.fromMemorySegment(Simd.B, src, ql + l + 32, ByteOrder.LITTLE_ENDIAN);
                    ByteVector hi = ByteVector.fromMemorySegment(Simd.B, src, qh + l, ByteOrder.LITTLE_ENDIAN);
                    ByteVector q1 = a.and((byte) 0x0F).or(hi.and((byte) 3).lanewise(VectorOperators.LSHL, 4));
                    ByteVector q2 = c.and((byte) 0x0F)
                            .or(hi.lanewise(VectorOperators.LSHR, 2).and((byte) 3).lanewise(VectorOperators.LSHL, 4));
                    ByteVector q3 = a.lanewise(VectorOperators.LSHR, 4)
                            .or(hi.lanewise(VectorOperators.LSHR, 4).and((byte) 3).lanewise(VectorOperators.LSHL, 4));
                    ByteVector q4 = c.lanewise(VectorOperators.LSHR, 4)
                            .or(hi.lanewise(VectorOperators.LSHR, 6).lanewise(VectorOperators.LSHL, 4));
                    store(q1, d * Le.i8(src, sc + is), dst, y + l);
                    store(q2, d * Le.i8(src, sc + is + 2), dst, y + l + 32);
                    store(q3, d * Le.i8(src, sc + is + 4), dst, y + l + 64);
                    store(q4, d * Le.i8(src, sc + is + 6), dst, y + l + 96);
                }
            }
        }
    }

    private static void store(ByteVector q, float scale, float[] dst, int at) {
        ((FloatVector) q.sub((byte) 32).convertShape(VectorOperators.B2F, Simd.F, 0)).mul(scale).intoArray(dst, at);
    }

    @Override
    public boolean canQuantize() { return true; }

    @Override
    void quantizeBlocks(float[] src, int srcOffset, MemorySegment dst, long offset, int blocks) {
        byte[] levels = new byte[BLOCK];
        float[] scales = new float[16];
        for (int b = 0; b < blocks; b++) {
            int x = srcOffset + b * BLOCK;
            long o = offset + (long) b * BYTES;
            float maxScale = 0;
            float maxAbsScale = 0;
            for (int ib = 0; ib < 16; ib++) {
                float scale = ScaleSearch.symmetricScale(16, 32, src, x + 16 * ib, levels, 16 * ib);
                scales[ib] = scale;
                if (Math.abs(scale) > maxAbsScale) {
                    maxAbsScale = Math.abs(scale);
                    maxScale = scale;
                }
            }
            if (maxAbsScale < ScaleSearch.GROUP_MAX_EPS) {
                dst.asSlice(o, BYTES).fill((byte) 0);
                continue;
            }
            float iscale = -128f / maxScale;
            Le.putF16(dst, o + 208, 1 / iscale);
            for (int ib = 0; ib < 16; ib++) {
                Le.putU8(dst, o + 192 + ib, Math.min(127, Rounding.nearestInt(iscale * scales[ib])));
            }
            float d = Le.f16(dst, o + 208);
            for (int j = 0; j < 16; j++) {
                float dj = d * Le.i8(dst, o + 192 + j);
                if (dj == 0) continue;
                for (int i = 0; i < 16; i++) {
                    int l = Rounding.nearestInt(src[x + 16 * j + i] / dj);
                    levels[16 * j + i] = (byte) (Math.max(-32, Math.min(31, l)) + 32);
                }
            }
            for (int h = 0; h < 2; h++) {
                int base = 128 * h;
                for (int l = 0; l < 32; l++) {
                    int l1 = levels[base + l], l2 = levels[base + l + 32];
                    int l3 = levels[base + l + 64], l4 = levels[base + l + 96];
                    Le.putU8(dst, o + 64L * h + l, (l1 & 0x0F) | ((l3 & 0x0F) << 4));
                    Le.putU8(dst, o + 64L * h + l + 32, (l2 & 0x0F) | ((l4 & 0x0F) << 4));
                    Le.putU8(dst, o + 128 + 32L * h + l, (l1 >> 4) | ((l2 >> 4) << 2) | ((l3 >> 4) << 4) | ((l4 >> 4) << 6));
                }
            }
        }
    }
}
