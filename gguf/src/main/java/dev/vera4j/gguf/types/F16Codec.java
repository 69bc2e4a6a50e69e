package dev.vera4j.gguf.types;

import dev.vera4j.gguf.GgmlType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * {@link GgmlType#F16}: IEEE binary16 halves, 2 bytes each, little-endian; see {@link Fp16}.
 *
 * <p>The vector path widens halves with integer operations only (rebias the exponent, shift the significand; scale
 * subnormals by 2^-24 exactly; pass infinities through, quiet NaNs keeping their payload), so it matches
 * {@link Fp16#toFloat} bit for bit, NaNs included.
 *
 * <pre>{@code
 * Codecs.of(GgmlType.F16).quantize(values, 0, values.length, segment, 0);   // values.length * 2 bytes
 * }</pre>
 */
final class F16Codec extends BlockCodec {
    F16Codec() { super(GgmlType.F16); }

    @Override
    void dequantizeScalar(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
        for (int i = 0; i < count; i++) {
            dst[dstOffset + i] = Le.f16(src, offset + 2L * i);
        }
    }

    @Override
    void dequantizeFast(MemorySegment src, long offset, float[] dst, int dstOffset, int count) {
        int lanes = Simd.LANES;
        int i = 0;
        for (; i <= count - lanes; i += lanes) {
            ShortVector h = ShortVector.fromMemorySegment(Simd.S, src, offset + 2L * i, ByteOrder.LITTLE_ENDIAN);
            widen((IntVector) h.convertShape(VectorOperators.S2I, Simd.I, 0)).intoArray(dst, dstOffset + i);
        }
        dequantizeScalar(src, offset + 2L * i, dst, dstOffset + i, count - i);
    }

    /** Halves (sign-extended into int lanes) to floats. */
    private static FloatVector widen(IntVector h) {
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector exponent = h.lanewise(VectorOperators.LSHR, 10).and(0x1f);
        IntVector significand = h.and(0x3ff);
        IntVector shifted = significand.lanewise(VectorOperators.LSHL, 13);
        IntVector normal = exponent.add(127 - 15).lanewise(VectorOperators.LSHL, 23).or(shifted);
        IntVector quiet = IntVector.zero(Simd.I).blend(0x00400000, significand.compare(VectorOperators.NE, 0));
        IntVector special = shifted.or(0x7f800000).or(quiet);
        IntVector subnormal = ((FloatVector) significand.convert(VectorOperators.I2F, 0)).mul(0x1p-24f)
                .reinterpretAsInts();
        VectorMask<Integer> isSpecial = exponent.eq(0x1f);
        VectorMask<Integer> isSubnormal = exponent.eq(0);
        return normal.blend(special, isSpecial).blend(subnormal, isSubnormal).or(sign).reinterpretAsFloats();
    }

    @Override
    public boolean canQuantize() { return true; }

    @Override
    void quantizeBlocks(float[] src, int srcOffset, MemorySegment dst, long offset, int count) {
        for (int i = 0; i < count; i++) {
            dst.set(Le.SHORT, offset + 2L * i, Fp16.fromFloat(src[srcOffset + i]));
        }
    }
}
