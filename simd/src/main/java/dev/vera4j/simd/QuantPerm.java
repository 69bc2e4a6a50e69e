package dev.vera4j.simd;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import java.util.function.IntUnaryOperator;

/**
 * A byte permute for packing a run at load time: the run's 256 quants sit in four 64-byte vectors (one byte each, in
 * an order the type's GGUF layout makes cheap, {@code source}), and each output lane takes the quant of the value
 * given by {@code target}. Two two-table permutes ({@code vpermi2b}) and a blend.
 *
 * <pre>{@code
 * QuantPerm p = QuantPerm.of(lane -> KOrder.value(0, lane % 32), sourceOf);
 * ByteVector out = p.index().selectFrom(s0, s1).blend(p.index().selectFrom(s2, s3), p.upper());
 * }</pre>
 *
 * @param index per lane, the source lane modulo 128 (lanes 0..63 of the first table, 64..127 of the second)
 * @param upper the lanes whose source is the third or fourth vector
 */
record QuantPerm(ByteVector index, VectorMask<Byte> upper) {
    static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_512;

    /**
     * @param target per output lane (0..63), the value (0..255) whose quant it takes
     * @param source the inverse of the source order: per value, its source position {@code 64·vector + lane}
     */
    static QuantPerm of(IntUnaryOperator target, int[] source) {
        byte[] idx = new byte[64];
        boolean[] up = new boolean[64];
        for (int lane = 0; lane < 64; lane++) {
            int s = source[target.applyAsInt(lane)];
            idx[lane] = (byte) (s & 127);
            up[lane] = s >= 128;
        }
        return new QuantPerm(ByteVector.fromArray(B64, idx, 0), VectorMask.fromArray(B64, up, 0));
    }

    /** The inverse of a source order given as {@code value(vector, lane)}. */
    static int[] inverse(java.util.function.IntBinaryOperator value) {
        int[] pos = new int[256];
        java.util.Arrays.fill(pos, -1);
        for (int v = 0; v < 4; v++) {
            for (int lane = 0; lane < 64; lane++) {
                int x = value.applyAsInt(v, lane);
                if (pos[x] >= 0) throw new IllegalArgumentException("value " + x + " twice in the source order");
                pos[x] = 64 * v + lane;
            }
        }
        return pos;
    }
}
