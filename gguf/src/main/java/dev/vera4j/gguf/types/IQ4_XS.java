package dev.vera4j.gguf.types;

import dev.vera4j.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * {@link GgmlType#IQ4_XS}: super-blocks of 256 values in 136 bytes: 8 sub-blocks of 32 with 6-bit scales, 4-bit
 * indices into the {@link IQ4_NL#KVALUES} table.
 *
 * <pre>
 * offset size field
 *      0    2 d            f16 super-block scale
 *      2    2 scales_h     little-endian uint16: bits 2j..2j+1 are the top two bits of scale j
 *      4    4 scales_l[4]  low 4 bits of scale j: nibble j mod 2 of byte j / 2
 *      8  128 qs[128]      16 bytes per sub-block; byte l holds value l (low nibble) and l + 16 (high nibble)
 * value = (d * (scale[j] - 32)) * KVALUES[index]
 * </pre>
 * Encoding (ggml {@code quantize_iq4_xs} without importance weights): {@link NonLinearEncoder}.
 *
 * <pre>{@code
 * Codecs.of(GgmlType.IQ4_XS).dequantize(segment, 0, out, 0, 256);
 * }</pre>
 */
final class IQ4_XS extends BlockCodec {
    private static final int BLOCK = 256;
    private static final int BYTES = 136;

    IQ4_XS() { super(GgmlType.IQ4_XS); }

    @Override
    void dequantizeScalar(MemorySegment src, long offset, float[] dst, int dstOffset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BYTES;
            float d = Le.f16(src, o);
            int scalesH = Le.u16(src, o + 2);
            int y = dstOffset + b * BLOCK;
            for (int j = 0; j < 8; j++) {
                int ls = ((Le.u8(src, o + 4 + j / 2) >>> (4 * (j % 2))) & 0x0F) | (((scalesH >>> (2 * j)) & 3) << 4);
                float dl = d * (ls - 32);
                long q = o + 8 + 16L * j;
                for (int l = 0; l < 16; l++) {
                    int v = Le.u8(src, q + l);
                    dst[y + l] = dl * IQ4_NL.KVALUES[v & 0x0F];
                    dst[y + l + 16] = dl * IQ4_NL.KVALUES[v >>> 4];
                }
                y += 32;
            }
        }
    }

    @Override
    void dequantizeFast(MemorySegment src, long offset, float[] dst, int dstOffset, int blocks) {
        ByteVector tableLo = IQ4_NL.tableLow();
        ByteVector tableHi = IQ4_NL.tableHigh();
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BYTES;
            float d = Le.f16(src, o);
            int scalesH = Le.u16(src, o + 2);
            int y = dstOffset + b * BLOCK;
            for (int j = 0; j < 8; j++) {
                int ls = ((Le.u8(src, o + 4 + j / 2) >>> (4 * (j % 2))) & 0x0F) | (((scalesH >>> (2 * j)) & 3) << 4);
                float dl = d * (ls - 32);
                long q = o + 8 + 16L * j;
                for (int l = 0; l < 16; l += Simd.LANES) {
                    ByteVector v = ByteVector.fromMemorySegment(Simd.B, src, q + l, ByteOrder.LITTLE_ENDIAN);
                    IQ4_NL.levels(v.and((byte) 0x0F), tableLo, tableHi).mul(dl).intoArray(dst, y + l);
                    IQ4_NL.levels(v.lanewise(VectorOperators.LSHR, 4), tableLo, tableHi).mul(dl).intoArray(dst, y + l + 16);
                }
                y += 32;
            }
        }
    }

    @Override
    public boolean canQuantize() { return true; }

    @Override
    void quantizeBlocks(float[] src, int srcOffset, MemorySegment dst, long offset, int blocks) {
        NonLinearEncoder encoder = new NonLinearEncoder();
        for (int b = 0; b < blocks; b++) {
            encoder.encodeXs(src, srcOffset + b * BLOCK, dst, offset + (long) b * BYTES);
        }
    }
}
