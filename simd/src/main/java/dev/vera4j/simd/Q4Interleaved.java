package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.vera4j.simd.Vec.LE;

/**
 * Q4_0 rows regrouped sixteen at a time for one-token products, as llama.cpp repacks Q4_0 for its CPU kernels. With
 * the GGUF layout every row's blocks must be summed across vector lanes (permutes that cost a fifth of
 * {@link Q4IntDot}); here a lane stays with one row through the whole row, so a block needs no permute at all.
 *
 * <p>Layout: for each group of 16 rows {@code g} and block {@code b}, 288 bytes at {@code 288·(g·nb + b)} — the
 * same bytes as the 16 rows' GGUF blocks, in another order:
 * <pre>
 *   bytes   0 ..  31   the 16 rows' fp16 scales, row order
 *   bytes  32 .. 287   four 64-byte pieces j = 0..3: for each row, quant bytes 4j .. 4j+3 of its block
 * </pre>
 * A 512-bit load of piece {@code j} is 32 short lanes, two per row ({@code 2r + h}), each holding the nibbles of
 * elements {@code e, e+16, e+1, e+17} ({@code e = 4j + 2h}) at bits 0, 4, 8, 12. Shifting the short right by 0, 4,
 * 8 and 12 and multiplying by the coefficients of {@link Int8Activations#interleaved} gives, mod 2^16, the sum of
 * the four nibble-times-activation products (the coefficients undo the higher nibbles that each shift leaves in); a
 * block adds 16 products per lane (at most 16·15·127, no overflow), the two lanes of a row are added as ints and
 * scaled by the row's {@code d_w} and the block's {@code d_x}; the nibble offset 8 is taken out as {@code 8·d_w·d_x·Σq_x}.
 *
 * <p>Only matrices whose scales are all finite are regrouped, so the fp16 widening needs no inf/NaN case. Products of
 * several tokens read the copy too ({@link PanelJob} puts a row's blocks back together with {@link #gatherRow}), so
 * the mapping's pages of a regrouped matrix can leave memory ({@link OsMemory#release}). {@link Weights#pack} makes the copy through {@link #LAYOUT}..
 */
public final class Q4Interleaved {
    private Q4Interleaved() {}

    private static final VectorSpecies<Short> S32 = ShortVector.SPECIES_512, S16 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);

    /** The layout: Q4_0 matrices with rows in whole groups of 16 and finite scales. */
    static final PackedLayout LAYOUT = new PackedLayout() {
        @Override
        public GgmlType type() { return GgmlType.Q4_0; }

        @Override
        public boolean accepts(Weights w) { return eligible(w); }

        @Override
        public boolean acceptsShape(int rows, int cols) { return rows % 16 == 0; }

        @Override
        public MemorySegment pack(Weights w, Arena arena, WorkerPool pool) { return regroup(w, arena, pool); }

        @Override
        public void unpackRow(MemorySegment packed, int row, int cols, MemorySegment out) { gatherRow(packed, row, cols / 32, out); }

        @Override
        public Int8Job newJob() { return new Job(); }

        @Override
        public Int8Job newTokensJob() { return new Job(); }

        @Override
        public int maxTokens() { return Tuning.INT8_MAX_TOKENS; }

        @Override
        public int rowGroup() { return 16; }

        @Override
        public void decodeGroup(MemorySegment packed, int group, int cols, int k0, int kc, float[] out, int o, int stride) {
            decodeColumns(packed, group, cols / 32, k0, kc, out, o, stride);
        }

        @Override
        public void decodeRow(MemorySegment packed, int row, int cols, float[] out, int o, MemorySegment scratch) {
            gatherRow(packed, row, cols / 32, scratch);
            CODEC.dequantize(scratch, 0, out, o, cols);
        }
    };

    private static final dev.vera4j.gguf.types.TensorCodec CODEC = dev.vera4j.gguf.types.Codecs.of(GgmlType.Q4_0);

    /** Q4_0, whole groups of 16 rows, finite scales. */
    static boolean eligible(Weights w) {
        if (w.type() != GgmlType.Q4_0 || w.rows() % 16 != 0) return false;
        MemorySegment m = w.data();
        for (long p = 0, end = (long) w.rows() * w.rowBytes(); p < end; p += 18) {
            if ((m.get(SHORT, p) & 0x7c00) == 0x7c00) return false;
        }
        return true;
    }

    /** The regrouped copy (see the class comment), without the checks of {@link #interleave}. */
    static MemorySegment regroup(Weights w, Arena arena, WorkerPool pool) {
        int nb = w.cols() / 32;
        long rowBytes = w.rowBytes();
        MemorySegment src = w.data(), dst = OsMemory.allocateHuge(arena, (long) w.rows() * rowBytes);
        pool.parallelFor(w.rows() / 16, (start, end) -> {
            for (int g = start; g < end; g++) {
                for (int r = 0; r < 16; r++) {   // each source row in order; the group's 288·nb bytes stay in cache
                    for (int b = 0; b < nb; b++) {
                        long o = 288L * ((long) g * nb + b), s = (16L * g + r) * rowBytes + 18L * b;
                        dst.set(SHORT, o + 2 * r, src.get(SHORT, s));
                        for (int j = 0; j < 4; j++) dst.set(INT, o + 32 + 64 * j + 4 * r, src.get(INT, s + 2 + 4 * j));
                    }
                }
            }
        });
        return dst;
    }

    /** Writes row {@code row}'s GGUF bytes ({@code 18·nb}: its blocks in order) from the regrouped copy into {@code out}. */
    static void gatherRow(MemorySegment copy, int row, int nb, MemorySegment out) {
        int g = row / 16, r = row % 16;
        for (int b = 0; b < nb; b++) {
            long p = 288L * ((long) g * nb + b), o = 18L * b;
            out.set(SHORT, o, copy.get(SHORT, p + 2L * r));
            for (int j = 0; j < 4; j++) out.set(INT, o + 2 + 4 * j, copy.get(INT, p + 32 + 64L * j + 4L * r));
        }
    }

    /**
     * Columns {@code [k0, k0+kc)} (whole blocks) of group {@code g}'s 16 rows as floats, column by column: row {@code r}
     * of column {@code k0 + k} at {@code out[o + k·stride + r]}. Piece {@code j} of a block, seen as 16 ints, holds in
     * int lane {@code r} row {@code r}'s quant bytes {@code 4j .. 4j+3}; byte {@code m} gives columns {@code 4j + m}
     * (low nibble) and {@code 4j + m + 16} (high), so every column is one vector of the 16 rows, times their scales.
     */
    static void decodeColumns(MemorySegment w, int g, int nb, int k0, int kc, float[] out, int o, int stride) {
        for (int b = k0 / 32, end = (k0 + kc) / 32; b < end; b++) {
            long p = 288L * ((long) g * nb + b);
            // the 16 scales, fp16 to float written out (finite: see eligible)
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, p, LE).convertShape(VectorOperators.S2I, I16, 0);
            FloatVector d = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(h.and(0x80000000)).reinterpretAsFloats();
            int ob = o + 32 * (b - k0 / 32) * stride;
            // a nibble masked in place is the value times 2^pos, exactly as a float: scales d·2^-pos and one FMA with
            // -8d give (q - 8)·d with the one rounding of a multiply, without shifting each nibble down first
            FloatVector off = d.mul(-8f), d4 = d.mul(0x1p-4f), d8 = d.mul(0x1p-8f), d12 = d.mul(0x1p-12f), d16 = d.mul(0x1p-16f);
            FloatVector d20 = d.mul(0x1p-20f), d24 = d.mul(0x1p-24f);
            for (int j = 0; j < 4; j++) {
                IntVector u = IntVector.fromMemorySegment(I16, w, p + 32 + 64L * j, LE);
                int c = ob + 4 * j * stride;
                ((FloatVector) u.and(0xf).convertShape(VectorOperators.I2F, F16, 0)).fma(d, off).intoArray(out, c);
                ((FloatVector) u.and(0xf00).convertShape(VectorOperators.I2F, F16, 0)).fma(d8, off).intoArray(out, c + stride);
                ((FloatVector) u.and(0xf0000).convertShape(VectorOperators.I2F, F16, 0)).fma(d16, off).intoArray(out, c + 2 * stride);
                ((FloatVector) u.and(0xf000000).convertShape(VectorOperators.I2F, F16, 0)).fma(d24, off).intoArray(out, c + 3 * stride);
                ((FloatVector) u.and(0xf0).convertShape(VectorOperators.I2F, F16, 0)).fma(d4, off).intoArray(out, c + 16 * stride);
                ((FloatVector) u.and(0xf000).convertShape(VectorOperators.I2F, F16, 0)).fma(d12, off).intoArray(out, c + 17 * stride);
                ((FloatVector) u.and(0xf00000).convertShape(VectorOperators.I2F, F16, 0)).fma(d20, off).intoArray(out, c + 18 * stride);
                ((FloatVector) u.lanewise(VectorOperators.LSHR, 28).convertShape(VectorOperators.I2F, F16, 0)).fma(d, off).intoArray(out, c + 19 * stride);
            }
        }
    }

    /** {@code y[yo + r] = row (16g + r) · x} for the 16 rows of group {@code g}, {@code nb} blocks each. */
    static void dot16(MemorySegment w, int g, int nb, Int8Activations a, float[] y, int yo) {
        dot16(w, g, nb, a, 0, y, yo);
    }

    /** As {@link #dot16(MemorySegment, int, int, Int8Activations, float[], int)} with the activations' blocks from {@code bo}. */
    static void dot16(MemorySegment w, int g, int nb, Int8Activations a, int bo, float[] y, int yo) {
        int[] c = a.interleaved;
        float[] d = a.d, ds = a.ds;
        if (c.length < 16 * (bo + nb) || d.length < bo + nb) throw new IllegalArgumentException("activations hold fewer than " + (bo + nb) + " blocks");
        FloatVector acc = FloatVector.zero(F16);
        long base = 288L * g * nb;
        for (int b = 0; b < nb; b++) {
            long p = base + 288L * b;
            int ci = 16 * (bo + b), di = bo + b;
            ShortVector u0 = ShortVector.fromMemorySegment(S32, w, p + 32, LE), u1 = ShortVector.fromMemorySegment(S32, w, p + 96, LE);
            ShortVector u2 = ShortVector.fromMemorySegment(S32, w, p + 160, LE), u3 = ShortVector.fromMemorySegment(S32, w, p + 224, LE);
            // one piece per statement, written out (a loop over the pieces was not unrolled and ran at half the speed);
            // a coefficient is one int broadcast to all 16 lanes, seen as 32 shorts
            ShortVector s0 = u0.mul(IntVector.broadcast(I16, c[ci]).reinterpretAsShorts())
                    .add(u0.lanewise(VectorOperators.LSHR, 4).mul(IntVector.broadcast(I16, c[ci + 1]).reinterpretAsShorts()))
                    .add(u0.lanewise(VectorOperators.LSHR, 8).mul(IntVector.broadcast(I16, c[ci + 2]).reinterpretAsShorts()))
                    .add(u0.lanewise(VectorOperators.LSHR, 12).mul(IntVector.broadcast(I16, c[ci + 3]).reinterpretAsShorts()));
            ShortVector s1 = u1.mul(IntVector.broadcast(I16, c[ci + 4]).reinterpretAsShorts())
                    .add(u1.lanewise(VectorOperators.LSHR, 4).mul(IntVector.broadcast(I16, c[ci + 5]).reinterpretAsShorts()))
                    .add(u1.lanewise(VectorOperators.LSHR, 8).mul(IntVector.broadcast(I16, c[ci + 6]).reinterpretAsShorts()))
                    .add(u1.lanewise(VectorOperators.LSHR, 12).mul(IntVector.broadcast(I16, c[ci + 7]).reinterpretAsShorts()));
            ShortVector s2 = u2.mul(IntVector.broadcast(I16, c[ci + 8]).reinterpretAsShorts())
                    .add(u2.lanewise(VectorOperators.LSHR, 4).mul(IntVector.broadcast(I16, c[ci + 9]).reinterpretAsShorts()))
                    .add(u2.lanewise(VectorOperators.LSHR, 8).mul(IntVector.broadcast(I16, c[ci + 10]).reinterpretAsShorts()))
                    .add(u2.lanewise(VectorOperators.LSHR, 12).mul(IntVector.broadcast(I16, c[ci + 11]).reinterpretAsShorts()));
            ShortVector s3 = u3.mul(IntVector.broadcast(I16, c[ci + 12]).reinterpretAsShorts())
                    .add(u3.lanewise(VectorOperators.LSHR, 4).mul(IntVector.broadcast(I16, c[ci + 13]).reinterpretAsShorts()))
                    .add(u3.lanewise(VectorOperators.LSHR, 8).mul(IntVector.broadcast(I16, c[ci + 14]).reinterpretAsShorts()))
                    .add(u3.lanewise(VectorOperators.LSHR, 12).mul(IntVector.broadcast(I16, c[ci + 15]).reinterpretAsShorts()));
            // the two 16-bit lanes of a row, sign-extended and added: one int per row
            IntVector pairs = s0.add(s1).add(s2.add(s3)).reinterpretAsInts();
            IntVector isum = pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(pairs.lanewise(VectorOperators.ASHR, 16));
            // fp16 to float: rebias by a multiply (exact, subnormals included); the scales are finite (see eligible)
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, p, LE).convertShape(VectorOperators.S2I, I16, 0);
            FloatVector dw = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(h.and(0x80000000)).reinterpretAsFloats();
            FloatVector t = ((FloatVector) isum.convertShape(VectorOperators.I2F, F16, 0))
                    .fma(FloatVector.broadcast(F16, d[di]), FloatVector.broadcast(F16, -8 * ds[di]));
            acc = t.fma(dw, acc);
        }
        acc.intoArray(y, yo);
    }

    /** Scalar reference of {@link #dot16} for one row, read from the regrouped copy: {@code Σ_b d_w·d_x·Σ (q_w − 8)·q_x}, in double. */
    static double dotReference(MemorySegment w, int row, int nb, short[] q, float[] d) {
        int g = row / 16, r = row % 16;
        double s = 0;
        for (int b = 0; b < nb; b++) {
            long p = 288L * ((long) g * nb + b);
            long isum = 0;
            for (int k = 0; k < 16; k++) {
                int v = w.get(ValueLayout.JAVA_BYTE, p + 32 + 64L * (k / 4) + 4L * r + k % 4) & 0xff;
                isum += (long) ((v & 15) - 8) * q[32 * b + k] + (long) ((v >>> 4) - 8) * q[32 * b + k + 16];
            }
            s += (double) Vec.f16(w, p + 2L * r) * d[b] * isum;
        }
        return s;
    }

    /**
     * Groups {@code [start, end)} of 16 rows, every token. With several tokens (a batched decode step) a group is
     * multiplied with all of them in turn while its {@code 288·nb} bytes stay in the cache, so the copy is read from
     * memory once per product rather than once per token.
     */
    static final class Job extends Int8Job {
        @Override
        int units() { return rows / 16; }

        @Override
        int layouts() { return Int8Activations.Q4_INTERLEAVED; }

        @Override
        public void run(int start, int end) {
            MemorySegment w = packed;
            Int8Activations a = acts;
            float[] y = this.y;
            int nb = cols / 32, yo = yOff, rows = this.rows, n = this.n;
            for (int g = start; g < end; g++) {
                for (int t = 0; t < n; t++) dot16(w, g, nb, a, t * nb, y, yo + t * rows + 16 * g);
            }
        }
    }
}
