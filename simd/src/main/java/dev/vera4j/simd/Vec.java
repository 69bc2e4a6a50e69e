package dev.vera4j.simd;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Vector species and small shared helpers of the kernels. Kernels work in {@link #L} float lanes (16 with AVX-512,
 * 8 with AVX2) and load the matching number of bytes or shorts, so one load of packed weights widens to one float
 * vector. On hardware with narrower vectors {@link #ENABLED} is false and the scalar references are used instead.
 */
final class Vec {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    /** Whether the vector kernels are usable: the block layouts need 8 or 16 float lanes. */
    static final boolean ENABLED = (L == 8 || L == 16) && !Tuning.SCALAR;
    static final VectorSpecies<Integer> I = ENABLED ? IntVector.SPECIES_PREFERRED : IntVector.SPECIES_256;
    static final VectorSpecies<Byte> B = ENABLED ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : ByteVector.SPECIES_64;
    static final VectorSpecies<Short> S = ENABLED ? VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16)) : ShortVector.SPECIES_128;

    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);

    private Vec() {}

    /** The IEEE half at {@code off}, as a float. */
    static float f16(MemorySegment seg, long off) {
        return Float.float16ToFloat(seg.get(I16, off));
    }

    /** {@link #L} bytes at {@code off}, zero-extended to ints. */
    static IntVector bytesU(MemorySegment seg, long off) {
        return (IntVector) ByteVector.fromMemorySegment(B, seg, off, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
    }

    /** {@link #L} bytes at {@code off}, sign-extended to floats. */
    static FloatVector bytesS(MemorySegment seg, long off) {
        return (FloatVector) ByteVector.fromMemorySegment(B, seg, off, LE).convertShape(VectorOperators.B2F, F, 0);
    }

    static FloatVector toFloat(IntVector v) {
        return (FloatVector) v.convertShape(VectorOperators.I2F, F, 0);
    }

    /**
     * {@link #L} IEEE halves at {@code off}, widened to floats exactly. The exponent is rebiased by a multiply with
     * 2^112, which also normalises subnormals; infinities and NaNs keep an all-ones exponent by a blend.
     */
    static FloatVector halves(MemorySegment seg, long off) {
        return widenHalves(ShortVector.fromMemorySegment(S, seg, off, LE));
    }

    /** {@link #L} IEEE halves of {@code a} from {@code off}, widened to floats exactly. */
    static FloatVector halves(short[] a, int off) {
        return widenHalves(ShortVector.fromArray(S, a, off));
    }

    static FloatVector widenHalves(ShortVector halves) {
        IntVector h = (IntVector) halves.convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
        IntVector em = h.and(0x7fff);
        IntVector shifted = em.lanewise(VectorOperators.LSHL, 13);
        FloatVector finite = shifted.reinterpretAsFloats().mul(0x1p112f);
        VectorMask<Integer> special = em.compare(VectorOperators.GE, 0x7c00);
        IntVector bits = finite.reinterpretAsInts().blend(shifted.or(0x7f800000), special);
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /** {@link #L} bfloat16 values at {@code off}, widened to floats (exact). */
    static FloatVector bf16s(MemorySegment seg, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, seg, off, LE).convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
