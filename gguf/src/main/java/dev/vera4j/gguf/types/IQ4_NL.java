package dev.vera4j.gguf.types;

import dev.vera4j.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * {@link GgmlType#IQ4_NL}: blocks of 32 values in 18 bytes, 4-bit indices into a fixed non-linear table.
 *
 * <pre>
 * offset size field
 *      0    2 d      f16 scale
 *      2   16 qs[16] byte j holds the index of value j (low nibble) and of value j + 16 (high nibble)
 * value[j] = d * KVALUES[index]
 * </pre>
 * Encoding (ggml {@code quantize_iq4_nl} without importance weights): {@link NonLinearEncoder}.
 *
 * <pre>{@code
 * Codecs.of(GgmlType.IQ4_NL).dequantize(segment, 0, out, 0, 32);
 * }</pre>
 */
final class IQ4_NL extends BlockCodec {
    /** ggml's {@code kvalues_iq4nl}: the 16 levels, denser near zero where weights cluster. */
    static final byte[] KVALUES = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    private static final int BLOCK = 32;
    private static final int BYTES = 18;

    IQ4_NL() { super(GgmlType.IQ4_NL); }

    @Override
    void dequantizeScalar(MemorySegment src, long offset, float[] dst, int dstOffset, int blocks) {
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BYTES;
            int y = dstOffset + b * BLOCK;
            float d = Le.f16(src, o);
            for (int j = 0; j < 16; j++) {
                int q = Le.u8(src, o + 2 + j);
                dst[y + j] = d * KVALUES[q & 0x0F];
                dst[y + j + 16] = d * KVALUES[q >>> 4];
            }
        }
    }

    @Override
    void dequantizeFast(MemorySegment src, long offset, float[] dst, int dstOffset, int blocks) {
        ByteVector tableLo = tableLow();
        ByteVector tableHi = tableHigh();
        for (int b = 0; b < blocks; b++) {
            long o = offset + (long) b * BYTES;
            int y = dstOffset + b * BLOCK;
            float d = Le.f16(src, o);
            for (int j = 0; j < 16; j += Simd.LANES) {
                ByteVector q = ByteVector.fromMemorySegment(Simd.B, src, o + 2 + j, ByteOrder.LITTLE_ENDIAN);
                FloatVector lo = levels(q.and((byte) 0x0F), tableLo, tableHi);
                FloatVector hi = levels(q.lanewise(VectorOperators.LSHR, 4), tableLo, tableHi);
                lo.mul(d).intoArray(dst, y + j);
                hi.mul(d).intoArray(dst, y + j + 16);
            }
        }
    }

    /** The first {@code Simd.LANES} table entries (all 16 when vectors have 16 byte lanes). */
    static ByteVector tableLow() { return ByteVector.fromArray(Simd.B, KVALUES, 0); }

    /** Entries 8..15 for 8-lane vectors, which hold only half the table; unused with 16 lanes. */
    static ByteVector tableHigh() { return ByteVector.fromArray(Simd.B, KVALUES, 16 - Simd.LANES); }

    /** The table values at 4-bit indices {@code index}, as floats. */
    static FloatVector levels(ByteVector index, ByteVector tableLo, ByteVector tableHi) {
        ByteVector v = Simd.LANES >= 16 ? index.selectFrom(tableLo) : index.selectFrom(tableLo, tableHi);
        return (FloatVector) v.convertShape(VectorOperators.B2F, Simd.F, 0);
    }

    @Override
    public boolean canQuantize() { return true; }

    @Override
    void quantizeBlocks(float[] src, int srcOffset, MemorySegment dst, long offset, int blocks) {
        NonLinearEncoder encoder = new NonLinearEncoder();
        for (int b = 0; b < blocks; b++) {
            encoder.encodeNl(src, srcOffset + b * BLOCK, dst, offset + (long) b * BYTES);
        }
    }
}
