package dev.vera4j.gguf.types;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes the fast paths use: 16 float lanes where the CPU has 512-bit vectors, else 8.
 *
 * <p>Decoders widen bytes (or shorts) to floats lane for lane, so each float species is paired with a byte, a short
 * and an int species of the same lane count. Fewer than 8 lanes would need 32-bit byte vectors, which do not exist; block
 * sizes (16 and 32 values per sub-block) are multiples of both 8 and 16.
 */
final class Simd {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512
            ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
    static final int LANES = F.length();
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(LANES * Byte.SIZE));
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(LANES * Short.SIZE));

    private Simd() {}
}
