package dev.vera4j.gguf.types;

import dev.vera4j.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

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
 * Decoding only.
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
}
