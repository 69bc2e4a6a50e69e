package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

import static dev.vera4j.simd.RunLayout.bits;
import static dev.vera4j.simd.RunLayout.put;
import static dev.vera4j.simd.Vec.LE;

/**
 * One-token products of the 32-value block types Q4_1, Q5_0, Q5_1 and IQ4_NL, packed eight blocks (a run of 256
 * values) at a time, so that they share the K-quants' {@link KOrder} and activations. Per block, fp16 {@code d} (and
 * for Q4_1/Q5_1 fp16 {@code m}), 16 bytes of low nibbles (byte {@code j}: value {@code j}, and {@code j + 16} in the
 * high nibble) and for Q5_0/Q5_1 32 fifth bits; value {@code d·q + m} (Q4_1, Q5_1), {@code d·(q − 16)} (Q5_0) or
 * {@code d·K[q]} (IQ4_NL, the levels of {@link IQ4XSPacked#LEVELS}). Packed, per run:
 * <pre>
 *   bytes   0 ..  15   the eight blocks' d
 *   bytes  16 ..  31   their m (Q4_1, Q5_1 only; the offsets below move up by 16 without)
 *   next 128 bytes     the low nibbles in KOrder ({@link RunLayout#nibbleByte})
 *   next 32 bytes      the fifth bits: bit t of byte l for KOrder position (t, l) (Q5_0, Q5_1 only)
 * </pre>
 * The factors come first so that one 32-byte load reads them; one permute doubles them to the int lanes (lane
 * {@code i}, sub-block {@code i} of 16 values, is block {@code i / 2}'s) and they are widened from fp16 in registers.
 * Rows must be whole runs ({@link RunLayout#acceptsShape}); other widths take the dequantizing path.
 */
final class Q32Packed {
    private Q32Packed() {}

    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256, S32 = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;
    /** Lane i takes half i / 2 (the d of block i / 2), or 8 + i / 2 (its m). */
    private static final VectorShuffle<Short> D_LANES = VectorShuffle.fromOp(S16, i -> i / 2), M_LANES = VectorShuffle.fromOp(S16, i -> 8 + i / 2);

    /** The four block types: their GGUF block layout and what their packed runs hold. */
    enum Kind {
        Q4_1(GgmlType.Q4_1, true, false), Q5_0(GgmlType.Q5_0, false, true), Q5_1(GgmlType.Q5_1, true, true), IQ4_NL(GgmlType.IQ4_NL, false, false);

        final GgmlType type;
        final boolean min, fifthBit;
        /** GGUF block: bytes per block, offset of the fifth bits (or -1), offset of the nibbles. */
        final int blockBytes, qh, qs;
        /** Packed run: offsets of the nibble plane and of the fifth bits. */
        final int nibbles, bits;

        Kind(GgmlType type, boolean min, boolean fifthBit) {
            this.type = type;
            this.min = min;
            this.fifthBit = fifthBit;
            this.blockBytes = (int) type.typeSize();
            int factors = min ? 4 : 2;
            this.qh = fifthBit ? factors : -1;
            this.qs = factors + (fifthBit ? 4 : 0);
            this.nibbles = min ? 32 : 16;
            this.bits = nibbles + 128;
        }
    }

    static final RunLayout Q4_1 = new Layout(Kind.Q4_1), Q5_0 = new Layout(Kind.Q5_0), Q5_1 = new Layout(Kind.Q5_1), IQ4_NL = new Layout(Kind.IQ4_NL);

    /** Fields: the 256 quants (nibbles, or 5-bit values), the 16 bytes of the d's, and for Q4_1/Q5_1 the 16 of the m's. */
    private static final class Layout extends RunLayout {
        private final Kind kind;

        Layout(Kind kind) {
            this.kind = kind;   // before super(): RunLayout's constructor reads the fields through the methods below
            super(kind.type);
        }

        @Override
        int fieldCount() { return 256 + (kind.min ? 32 : 16); }

        @Override
        void readGguf(byte[] r, int[] f) {
            for (int v = 0; v < 256; v++) {
                int b = kind.blockBytes * (v / 32), j = v % 32;
                f[v] = bits(r, b + kind.qs + j % 16, 4 * (j / 16), 4) | (kind.fifthBit ? bits(r, b + kind.qh + j / 8, j % 8, 1) << 4 : 0);
            }
            for (int b = 0; b < 8; b++) {
                for (int i = 0; i < 2; i++) {
                    f[256 + 2 * b + i] = r[kind.blockBytes * b + i] & 0xff;
                    if (kind.min) f[272 + 2 * b + i] = r[kind.blockBytes * b + 2 + i] & 0xff;
                }
            }
        }

        @Override
        void writeGguf(int[] f, byte[] r) {
            for (int v = 0; v < 256; v++) {
                int b = kind.blockBytes * (v / 32), j = v % 32;
                put(r, b + kind.qs + j % 16, 4 * (j / 16), 4, f[v]);
                if (kind.fifthBit) put(r, b + kind.qh + j / 8, j % 8, 1, f[v] >> 4);
            }
            for (int b = 0; b < 8; b++) {
                for (int i = 0; i < 2; i++) {
                    r[kind.blockBytes * b + i] = (byte) f[256 + 2 * b + i];
                    if (kind.min) r[kind.blockBytes * b + 2 + i] = (byte) f[272 + 2 * b + i];
                }
            }
        }

        @Override
        void readPacked(byte[] r, int[] f) {
            for (int pos = 0; pos < 256; pos++) {
                f[KOrder.SOURCE[pos]] = bits(r, kind.nibbles + nibbleByte(pos), nibbleShift(pos), 4)
                        | (kind.fifthBit ? bits(r, kind.bits + bitByte(pos), bitShift(pos), 1) << 4 : 0);
            }
            for (int i = 0; i < fieldCount() - 256; i++) f[256 + i] = r[i] & 0xff;
        }

        @Override
        void writePacked(int[] f, byte[] r) {
            for (int pos = 0; pos < 256; pos++) {
                int q = f[KOrder.SOURCE[pos]];
                put(r, kind.nibbles + nibbleByte(pos), nibbleShift(pos), 4, q);
                if (kind.fifthBit) put(r, kind.bits + bitByte(pos), bitShift(pos), 1, q >> 4);
            }
            for (int i = 0; i < fieldCount() - 256; i++) r[i] = (byte) f[256 + i];
        }

        @Override
        void decodeRuns(MemorySegment packed, long off, int runs, float[] out, int o) { decode(kind, packed, off, runs, out, o); }

        @Override
        float dot(MemorySegment packed, long off, Int8Activations a, int ro, int runs) {
            return kind == Kind.IQ4_NL ? dotIQ4_NL(packed, off, a, ro, runs) : dotNibbles(kind, packed, off, a, ro, runs);
        }

        /** {@code Σ_b (d_b·Σ q'·x + m_b·Σ x)} with {@code q'} the quant, {@code q − 16} (Q5_0) or its level (IQ4_NL). */
        @Override
        double runDot(int[] f, int[] x, boolean magnitude) {
            double sum = 0;
            for (int b = 0; b < 8; b++) {
                long qsum = 0, xsum = 0;
                for (int v = 32 * b; v < 32 * b + 32; v++) {
                    int q = switch (kind) {
                        case Q5_0 -> f[v] - 16;
                        case IQ4_NL -> IQ4XSPacked.LEVELS[f[v]];
                        default -> f[v];
                    };
                    qsum += magnitude ? Math.abs((long) q * x[v]) : (long) q * x[v];
                    xsum += magnitude ? Math.abs(x[v]) : x[v];
                }
                double d = half(f, 256 + 2 * b), m = kind.min ? half(f, 272 + 2 * b) : 0;
                sum += magnitude ? Math.abs(d) * qsum + Math.abs(m) * xsum : d * qsum + m * xsum;
            }
            return sum;
        }
    }

    /** Per int lane {@code i}, block {@code i / 2}'s fp16 factor (d, or with {@code lanes = M_LANES} m) of the run at {@code p}, times {@code dx}. */
    private static FloatVector factors(MemorySegment w, long p, VectorShuffle<Short> lanes, float dx) {
        return Vec.widenHalves(ShortVector.fromMemorySegment(S16, w, p, LE).rearrange(lanes)).mul(dx);
    }

    /**
     * Q4_1, Q5_0 and Q5_1: the nibbles (and fifth bits) times the activations, in shorts (at most 8·31·127 a lane),
     * adjacent lanes into ints; Q5_0's offset 16 taken out with the activations' sums; times each block's d (doubled
     * into its two lanes and widened from fp16 in registers), plus each block's m times the sums. Everything is written
     * out in this one method: a helper that C2 does not inline (it stops inlining in large methods) would box vectors.
     */
    static float dotNibbles(Kind kind, MemorySegment w, long off, Int8Activations a, int ro, int runs) {
        short[] xs = a.k;
        // the kinds differ by masks, not branches: a vector that two branches define is boxed where they meet
        short fifth = (short) (kind.fifthBit ? -1 : 0);
        int offset = kind == Kind.Q5_0 ? -1 : 0, min = kind.min ? -1 : 0;
        long runBytes = kind.type.bytesFor(256);
        int nib = kind.nibbles, bits = kind.fifthBit ? kind.bits : kind.nibbles;   // without fifth bits: any 32 bytes, masked to 0
        FloatVector acc = FloatVector.zero(F16);
        for (int s = 0; s < runs; s++) {
            long p = off + runBytes * s;
            int xi = 256 * (ro + s);
            float dx = a.kd[ro + s];
            ShortVector p0 = ShortVector.fromMemorySegment(S32, w, p + nib, LE), p1 = ShortVector.fromMemorySegment(S32, w, p + nib + 64, LE);
            ShortVector h = ((ShortVector) ByteVector.fromMemorySegment(B32, w, p + bits, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S32, 0)).and(fifth);
            ShortVector prod = p0.and((short) 15).or(h.lanewise(VectorOperators.LSHL, 4).and((short) 16)).mul(ShortVector.fromArray(S32, xs, xi))
                    .add(p0.lanewise(VectorOperators.LSHR, 4).and((short) 15).or(h.lanewise(VectorOperators.LSHL, 3).and((short) 16)).mul(ShortVector.fromArray(S32, xs, xi + 32)))
                    .add(p0.lanewise(VectorOperators.LSHR, 8).and((short) 15).or(h.lanewise(VectorOperators.LSHL, 2).and((short) 16)).mul(ShortVector.fromArray(S32, xs, xi + 64)))
                    .add(p0.lanewise(VectorOperators.LSHR, 12).or(h.lanewise(VectorOperators.LSHL, 1).and((short) 16)).mul(ShortVector.fromArray(S32, xs, xi + 96)))
                    .add(p1.and((short) 15).or(h.and((short) 16)).mul(ShortVector.fromArray(S32, xs, xi + 128)))
                    .add(p1.lanewise(VectorOperators.LSHR, 4).and((short) 15).or(h.lanewise(VectorOperators.LSHR, 1).and((short) 16)).mul(ShortVector.fromArray(S32, xs, xi + 160)))
                    .add(p1.lanewise(VectorOperators.LSHR, 8).and((short) 15).or(h.lanewise(VectorOperators.LSHR, 2).and((short) 16)).mul(ShortVector.fromArray(S32, xs, xi + 192)))
                    .add(p1.lanewise(VectorOperators.LSHR, 12).or(h.lanewise(VectorOperators.LSHR, 3).and((short) 16)).mul(ShortVector.fromArray(S32, xs, xi + 224)));
            IntVector u = prod.reinterpretAsInts();
            IntVector bsum = IntVector.fromArray(I16, a.kbsum, 16 * (ro + s));
            IntVector sums = u.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u.lanewise(VectorOperators.ASHR, 16))
                    .sub(bsum.lanewise(VectorOperators.LSHL, 4).and(offset));
            // the blocks' d and m, doubled into their lanes, fp16 to float as Vec.widenHalves (rebias by a multiply, inf/NaN kept)
            ShortVector halves = ShortVector.fromMemorySegment(S16, w, p, LE);
            IntVector hd = (IntVector) halves.rearrange(D_LANES).convertShape(VectorOperators.ZERO_EXTEND_S2I, I16, 0);
            IntVector emd = hd.and(0x7fff), shd = emd.lanewise(VectorOperators.LSHL, 13);
            FloatVector d = shd.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().blend(shd.or(0x7f800000), emd.compare(VectorOperators.GE, 0x7c00))
                    .or(hd.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            IntVector hm = ((IntVector) halves.rearrange(M_LANES).convertShape(VectorOperators.ZERO_EXTEND_S2I, I16, 0)).and(min);
            IntVector emm = hm.and(0x7fff), shm = emm.lanewise(VectorOperators.LSHL, 13);
            FloatVector m = shm.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().blend(shm.or(0x7f800000), emm.compare(VectorOperators.GE, 0x7c00))
                    .or(hm.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            acc = ((FloatVector) sums.convertShape(VectorOperators.I2F, F16, 0)).fma(d.mul(dx), acc);
            acc = ((FloatVector) bsum.convertShape(VectorOperators.I2F, F16, 0)).fma(m.mul(dx), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** IQ4_NL: the indexes looked up in the levels (a word permute), two vectors' products per short sum; as {@link #dotNibbles}. */
    static float dotIQ4_NL(MemorySegment w, long off, Int8Activations a, int ro, int runs) {
        ShortVector k = IQ4XSPacked.LEVELS16;
        short[] xs = a.k;
        FloatVector acc = FloatVector.zero(F16);
        for (int s = 0; s < runs; s++) {
            long p = off + 144L * s;
            int xi = 256 * (ro + s);
            ShortVector p0 = ShortVector.fromMemorySegment(S32, w, p + 16, LE), p1 = ShortVector.fromMemorySegment(S32, w, p + 80, LE);
            ShortVector s01 = p0.and((short) 15).selectFrom(k).mul(ShortVector.fromArray(S32, xs, xi))
                    .add(p0.lanewise(VectorOperators.LSHR, 4).and((short) 15).selectFrom(k).mul(ShortVector.fromArray(S32, xs, xi + 32)));
            ShortVector s23 = p0.lanewise(VectorOperators.LSHR, 8).and((short) 15).selectFrom(k).mul(ShortVector.fromArray(S32, xs, xi + 64))
                    .add(p0.lanewise(VectorOperators.LSHR, 12).selectFrom(k).mul(ShortVector.fromArray(S32, xs, xi + 96)));
            ShortVector s45 = p1.and((short) 15).selectFrom(k).mul(ShortVector.fromArray(S32, xs, xi + 128))
                    .add(p1.lanewise(VectorOperators.LSHR, 4).and((short) 15).selectFrom(k).mul(ShortVector.fromArray(S32, xs, xi + 160)));
            ShortVector s67 = p1.lanewise(VectorOperators.LSHR, 8).and((short) 15).selectFrom(k).mul(ShortVector.fromArray(S32, xs, xi + 192))
                    .add(p1.lanewise(VectorOperators.LSHR, 12).selectFrom(k).mul(ShortVector.fromArray(S32, xs, xi + 224)));
            IntVector u01 = s01.reinterpretAsInts(), u23 = s23.reinterpretAsInts(), u45 = s45.reinterpretAsInts(), u67 = s67.reinterpretAsInts();
            IntVector sums = u01.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u01.lanewise(VectorOperators.ASHR, 16))
                    .add(u23.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u23.lanewise(VectorOperators.ASHR, 16)))
                    .add(u45.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u45.lanewise(VectorOperators.ASHR, 16)))
                    .add(u67.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(u67.lanewise(VectorOperators.ASHR, 16)));
            IntVector hd = (IntVector) ShortVector.fromMemorySegment(S16, w, p, LE).rearrange(D_LANES).convertShape(VectorOperators.ZERO_EXTEND_S2I, I16, 0);
            IntVector emd = hd.and(0x7fff), shd = emd.lanewise(VectorOperators.LSHL, 13);
            FloatVector d = shd.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts().blend(shd.or(0x7f800000), emd.compare(VectorOperators.GE, 0x7c00))
                    .or(hd.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            acc = ((FloatVector) sums.convertShape(VectorOperators.I2F, F16, 0)).fma(d.mul(a.kd[ro + s]), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Decodes {@code runs} packed runs into {@code out[o ..]}, each run transposed: nibble {@code j} of int lane
     * {@code i} of nibble vector {@code p} is value {@code 16i + 8p + 2(j mod 4) + j div 4} (as {@link Q5KPacked#decode},
     * whose fifth-bit arithmetic it shares), in block {@code i / 2}.
     */
    static void decode(Kind kind, MemorySegment w, long off, int runs, float[] out, int o) {
        int runBytes = (int) kind.type.bytesFor(256);
        IntVector levels = IQ4XSPacked.LEVELS32;
        for (int s = 0; s < runs; s++) {
            long p = off + (long) runBytes * s;
            int base = o + 256 * s;
            FloatVector d = factors(w, p, D_LANES, 1), m = kind.min ? factors(w, p, M_LANES, 1) : FloatVector.zero(F16);
            if (kind == Kind.Q5_0) m = d.mul(-16);
            IntVector u0 = IntVector.fromMemorySegment(I16, w, p + kind.nibbles, LE), u1 = IntVector.fromMemorySegment(I16, w, p + kind.nibbles + 64, LE);
            IntVector h = kind.fifthBit
                    ? (IntVector) ShortVector.fromMemorySegment(S16, w, p + kind.bits, LE).convertShape(VectorOperators.ZERO_EXTEND_S2I, I16, 0)
                    : IntVector.zero(I16);
            for (int j = 0; j < 8; j++) {
                int hb = 8 * (j / 4) + j % 4, at = 16 * (2 * (j % 4) + j / 4);
                IntVector q0 = u0.lanewise(VectorOperators.LSHR, 4 * j).and(15).or(h.lanewise(VectorOperators.LSHR, hb).and(1).lanewise(VectorOperators.LSHL, 4));
                IntVector q1 = u1.lanewise(VectorOperators.LSHR, 4 * j).and(15).or(h.lanewise(VectorOperators.LSHR, hb + 4).and(1).lanewise(VectorOperators.LSHL, 4));
                if (kind == Kind.IQ4_NL) {
                    q0 = q0.selectFrom(levels);
                    q1 = q1.selectFrom(levels);
                }
                ((FloatVector) q0.convertShape(VectorOperators.I2F, F16, 0)).fma(d, m).intoArray(out, base + at);
                ((FloatVector) q1.convertShape(VectorOperators.I2F, F16, 0)).fma(d, m).intoArray(out, base + 128 + at);
            }
        }
    }
}
