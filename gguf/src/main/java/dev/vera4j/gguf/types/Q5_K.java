package dev.vera4j.gguf.types;

import dev.vera4j.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

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
 * Decoding only.
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
}
