package dev.vera4j.simd;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

import static dev.vera4j.simd.Vec.*;

/** Species and loads of the int8 kernels: 16 bytes widened to 16 shorts (256-bit), sums widened to 16 floats. */
final class Int8 {
    private Int8() {}

    /** The int8 kernels need 16 float lanes (AVX-512), so that one 16-short sum widens to one float vector. */
    static final boolean ENABLED = Vec.ENABLED && L == 16 && !Tuning.NO_INT8;
    static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;

    /** 16 bytes at {@code off}, zero-extended to shorts. */
    static ShortVector nibbles(MemorySegment seg, long off) {
        return (ShortVector) ByteVector.fromMemorySegment(B16, seg, off, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
    }

    /** 16 bytes at {@code off}, sign-extended to shorts. */
    static ShortVector signed(MemorySegment seg, long off) {
        return (ShortVector) ByteVector.fromMemorySegment(B16, seg, off, LE).convertShape(VectorOperators.B2S, S16, 0);
    }

    static FloatVector toFloat(ShortVector v) {
        return (FloatVector) v.convertShape(VectorOperators.S2F, F, 0);
    }
}
