package dev.vera4j.gguf.types;

import dev.vera4j.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * {@link GgmlType#Q5_0}: blocks of 32 values in 22 bytes.
 *
 * <pre>
 * offset size field
 *      0    2 d      f16 scale
 *      2    4 qh     little-endian uint32: bit j is the fifth bit of value j
 *      6   16 qs[16] byte j holds the low 4 bits of value j (low nibble) and of value j + 16 (high nibble)
 * value[j] = (q - 16) * d, q = nibble | (bit j of qh) &lt;&lt; 4
 * </pre>
 * Encoding (ggml {@code quantize_row_q5_0_ref}): {@code m} = value of largest magnitude, {@code d = m / -16},
 * q = {@code min(31, trunc(x * (1/d) + 16.5))}.
 *
 * <pre>{@code
 * Codecs.of(GgmlType.Q5_0).quantize(x, 0, 32, segment, 0);   // 22 bytes
 * }</pre>
 */
final class Q5_0 extends BlockCodec {
    private static final int BLOCK = 32;
    private static final int BYTES = 22;

    Q5_0() { super(GgmlType.Q5_0); }

    @Override
    void dequantizeScalar(MemorySegment src, long offset, float[] dst, int dstOffset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BYTES;
            int y = dstOffset + b * BLOCK;
            float d = Le.f16(src, o);
            int qh = Le.i32(src, o + 2);
            for (int j = 0; j < 16; j++) {
                int q = Le.u8(src, o + 6 + j);
                int q0 = ((q & 0x0F) | (((qh >>> j) & 1) << 4)) - 16;
                int q1 = ((q >>> 4) | (((qh >>> (j + 16)) & 1) << 4)) - 16;
                dst[y + j] = q0 * d;
                dst[y + j + 16] = q1 * d;
            }
        }
    }

    @Override
    void dequantizeFast(MemorySegment src, long offset, float[] dst, int dstOffset, int blocks) {
        IntVector lane = IntVector.zero(Simd.I).addIndex(1);
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BYTES;
            int y = dstOffset + b * BLOCK;
            float d = Le.f16(src, o);
            IntVector qh = IntVector.broadcast(Simd.I, Le.i32(src, o + 2));
            for (int j = 0; j < 16; j += Simd.LANES) {
                ByteVector q = ByteVector.fromMemorySegment(Simd.B, src, o + 6 + j, ByteOrder.LITTLE_ENDIAN);
                IntVector lo = (IntVector) q.and((byte) 0x0F).convertShape(VectorOperators.B2I, Simd.I, 0);
                IntVector hi = (IntVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.B2I, Simd.I, 0);
                // fifth bits: bit (j + lane) of qh for the low nibbles, bit (j + lane + 16) for the high ones
                IntVector lowBits = qh.lanewise(VectorOperators.LSHR, lane.add(j)).and(1).lanewise(VectorOperators.LSHL, 4);
                IntVector highBits = qh.lanewise(VectorOperators.LSHR, lane.add(j + 16)).and(1)
                        .lanewise(VectorOperators.LSHL, 4);
                ((FloatVector) lo.or(lowBits).sub(16).convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, y + j);
                ((FloatVector) hi.or(highBits).sub(16).convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, y + j + 16);
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
            float amax = 0;
            float max = 0;
            for (int j = 0; j < BLOCK; j++) {
                float v = src[x + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -16;
            float id = d != 0 ? 1.0f / d : 0.0f;
            Le.putF16(dst, o, d);
            int qh = 0;
            for (int j = 0; j < 16; j++) {
                int q0 = Math.min(31, (byte) (int) (src[x + j] * id + 16.5f));
                int q1 = Math.min(31, (byte) (int) (src[x + j + 16] * id + 16.5f));
                Le.putU8(dst, o + 6 + j, (q0 & 0x0F) | ((q1 & 0x0F) << 4));
                qh |= ((q0 >>> 4) & 1) << j;
                qh |= ((q1 >>> 4) & 1) << (j + 16);
            }
            Le.putI32(dst, o + 2, qh);
        }
    }
}
