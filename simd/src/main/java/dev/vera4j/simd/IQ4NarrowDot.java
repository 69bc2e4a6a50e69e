package dev.vera4j.simd;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.vera4j.simd.Narrow.F8;
import static dev.vera4j.simd.Narrow.S16;
import static dev.vera4j.simd.Narrow.acts;
import static dev.vera4j.simd.Narrow.pairSums;
import static dev.vera4j.simd.Vec.LE;
import static dev.vera4j.simd.Vec.f16;

/**
 * IQ4_XS and IQ4_NL rows against int8 activations in 256-bit vectors ({@link Narrow}). Both store 4-bit indices into
 * ggml's 16 levels ({@link IQ4XSPacked#LEVELS}), 16 bytes per 32 values (low nibbles values 0..15, high nibbles
 * 16..31): a byte shuffle ({@code vpshufb}) of the level table by the indices gives the signed levels, which widen to
 * shorts and meet the activations (at most 2·127·127 per short lane). IQ4_NL blocks are an fp16 scale and the 16
 * bytes; IQ4_XS super-blocks of 256 ({@code IQ4_XS} in gguf describes them) give each 32 values the scale
 * {@code d·(ls − 32)} from a 6-bit {@code ls}.
 */
final class IQ4NarrowDot {
    private IQ4NarrowDot() {}

    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final ByteVector TABLE = ByteVector.fromArray(B16, IQ4XSPacked.LEVELS, 0);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);

    /** IQ4_NL: {@code nb} blocks of 32 (18 bytes each) against the activation blocks from {@code bo}. */
    static float dotNl(MemorySegment w, long off, Int8Activations a, int bo, int nb) {
        short[] q = a.q;
        float[] dx = a.d;
        FloatVector a0 = FloatVector.zero(F8), a1 = a0;
        for (int b = 0; b < nb; b++) {
            long p = off + 18L * b;
            int blk = bo + b;
            ByteVector bytes = ByteVector.fromMemorySegment(B16, w, p + 2, LE);
            ShortVector lo = (ShortVector) bytes.and((byte) 15).selectFrom(TABLE).convertShape(VectorOperators.B2S, S16, 0);
            ShortVector hi = (ShortVector) bytes.lanewise(VectorOperators.LSHR, 4).and((byte) 15).selectFrom(TABLE).convertShape(VectorOperators.B2S, S16, 0);
            FloatVector v = pairSums(lo.mul(acts(q, 32 * blk)).add(hi.mul(acts(q, 32 * blk + 16))));
            FloatVector scale = FloatVector.broadcast(F8, f16(w, p) * dx[blk]);
            if ((b & 1) == 0) a0 = v.fma(scale, a0);
            else a1 = v.fma(scale, a1);
        }
        return a0.add(a1).reduceLanes(VectorOperators.ADD);
    }

    /** IQ4_XS: {@code nb} activation blocks of 32 from {@code bo} (a multiple of 8: whole super-blocks of 136 bytes). */
    static float dotXs(MemorySegment w, long off, Int8Activations a, int bo, int nb) {
        short[] q = a.q;
        float[] dx = a.d;
        FloatVector a0 = FloatVector.zero(F8), a1 = a0;
        for (int sb = 0; sb < nb / 8; sb++) {
            long p = off + 136L * sb;
            float d = f16(w, p);
            int high = w.get(I16, p + 2), low = w.get(I32, p + 4);
            for (int j = 0; j < 8; j++) {
                int blk = bo + 8 * sb + j, ls = ((low >>> (4 * j)) & 15) | (((high >>> (2 * j)) & 3) << 4);
                ByteVector bytes = ByteVector.fromMemorySegment(B16, w, p + 8 + 16L * j, LE);
                ShortVector lo = (ShortVector) bytes.and((byte) 15).selectFrom(TABLE).convertShape(VectorOperators.B2S, S16, 0);
                ShortVector hi = (ShortVector) bytes.lanewise(VectorOperators.LSHR, 4).and((byte) 15).selectFrom(TABLE).convertShape(VectorOperators.B2S, S16, 0);
                FloatVector v = pairSums(lo.mul(acts(q, 32 * blk)).add(hi.mul(acts(q, 32 * blk + 16))));
                FloatVector scale = FloatVector.broadcast(F8, d * (ls - 32) * dx[blk]);
                if ((j & 1) == 0) a0 = v.fma(scale, a0);
                else a1 = v.fma(scale, a1);
            }
        }
        return a0.add(a1).reduceLanes(VectorOperators.ADD);
    }

    /** Scalar reference of both, in double: {@code Σ scale·d_x·Σ level(index)·q_x} per 32 values. */
    static double dotReference(boolean xs, MemorySegment w, long off, short[] q, float[] dx, int bo, int nb) {
        double s = 0;
        for (int i = 0; i < nb; i++) {
            long qs;
            double scale;
            if (xs) {
                long p = off + 136L * (i / 8);
                int j = i % 8;
                int high = w.get(I16, p + 2) & 0xffff, low = w.get(I32, p + 4);
                int ls = ((low >>> (4 * j)) & 15) | (((high >>> (2 * j)) & 3) << 4);
                scale = (double) f16(w, p) * (ls - 32);
                qs = p + 8 + 16L * j;
            } else {
                long p = off + 18L * i;
                scale = f16(w, p);
                qs = p + 2;
            }
            long dot = 0;
            for (int l = 0; l < 16; l++) {
                int v = w.get(ValueLayout.JAVA_BYTE, qs + l) & 0xff;
                dot += (long) IQ4XSPacked.LEVELS[v & 15] * q[32 * (bo + i) + l] + (long) IQ4XSPacked.LEVELS[v >>> 4] * q[32 * (bo + i) + l + 16];
            }
            s += scale * dx[bo + i] * dot;
        }
        return s;
    }
}
