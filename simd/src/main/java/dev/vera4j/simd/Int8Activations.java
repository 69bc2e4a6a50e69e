package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.vera4j.simd.Vec.F;
import static dev.vera4j.simd.Vec.LE;

/**
 * Activations quantized once per product for the int8 kernels, as llama.cpp's {@code quantize_row_q8_0} does: per
 * block of 32 values a float scale {@code d = max|x| / 127} and integers {@code q = round(x / d)} in [−127, 127],
 * kept widened to shorts (the kernels multiply them as 16-bit lanes), plus {@code d·Σq} per block for the offset
 * correction of Q4_0. The scale stays a float (llama.cpp rounds it to fp16), which only removes error. A second copy
 * {@link #q4} holds the same integers in the order {@link Q4IntDot} multiplies them.
 *
 * <pre>{@code
 * var acts = new Int8Activations(maxTokens * maxCols);
 * acts.quantize(x, 0, n * cols);   // then acts.q, acts.d, acts.ds for the kernels
 * }</pre>
 */
final class Int8Activations {
    /** The layout of {@link #q4}'s values: little-endian, as the vector loads read them. */
    static final ValueLayout.OfShort Q4 = ValueLayout.JAVA_SHORT.withOrder(LE);

    final short[] q;
    final float[] d;
    /** Per block {@code d · Σ q}. */
    final float[] ds;
    /** Per 16 values of {@link #q}: the sum of their integers (the mins of Q2_K's 16-value sub-blocks meet it). */
    final int[] s16;
    /**
     * {@link #q} recombined for {@link Q4IntDot}, for every whole run of 16 blocks (512 values, same offsets as in
     * {@code q}): four groups of four blocks, each group four 32-lane rows, eight lanes per block (lane {@code 8k + s}
     * of a row belongs to block {@code k} of the group). With {@code lo = q[i]} and {@code hi = q[i + 16]} of a block,
     * rows 0 and 1 hold {@code (short) (−255·lo)} and {@code hi − 16·lo} for {@code i = s}, rows 2 and 3 the same
     * for {@code i = 8 + s} (the weights' byte {@code i} holds elements {@code i} and {@code i + 16}). Values after
     * the last whole run are not filled. Held off the heap at a 64-byte boundary, so that none of the kernel's 64-byte
     * loads straddles two cache lines (a heap array starts 16 bytes into a line); the Q4_0 kernel measured ~5 % faster.
     */
    final MemorySegment q4;
    /**
     * {@link #q} recombined for {@link Q4Interleaved}: per block 16 ints, int {@code 4j + i} for the block's 16-byte
     * quant run cut into four 4-byte pieces {@code j}, and the nibble shift {@code 4i} the kernel applies to them. Its
     * low short is for the piece's first two bytes ({@code h = 0}), its high short for the other two ({@code h = 1}):
     * with {@code e = 4j + 2h} and {@code x_k = q[32b + k]}, the coefficients for shifts 0, 4, 8, 12 are {@code x_e},
     * {@code x_{e+16} − 16·x_e}, {@code x_{e+1} − 16·x_{e+16}} and {@code x_{e+17} − 16·x_{e+1}} (mod 2^16).
     */
    final int[] interleaved;
    /**
     * The activations quantized a second time, per run of 256 values with one scale {@link #kd} each (llama.cpp's
     * {@code Q8_K}, the activation type of its K-quant kernels), in {@link KOrder}: what the kernels of the packed
     * 256-value layouts ({@link PackedLayout}) multiply. Filled for whole runs of 256 only.
     */
    final short[] k;
    /** Per run of 256 values of {@link #k}: its scale. */
    final float[] kd;
    /** Per 16 values of {@link #k} in natural order ({@code 16j .. 16j+15} of each run): the sum of their integers. */
    final int[] kbsum;

    /**
     * Layout flags for {@link #quantize(float[], int, int, int)}: which copies to fill. {@link #BLOCKS} is {@link #q},
     * {@link #d} and {@link #ds} (per 32 values); the recombined copies {@link #Q4_ROWS} and {@link #Q4_INTERLEAVED}
     * are made from them, so they imply it; {@link #K_ORDER} is quantized on its own (per 256 values).
     */
    static final int BLOCKS = 1, Q4_ROWS = 2, Q4_INTERLEAVED = 4, K_ORDER = 8, ALL = BLOCKS | Q4_ROWS | Q4_INTERLEAVED | K_ORDER;

    Int8Activations(int maxValues) {
        q = new short[maxValues];
        q4 = Arena.ofAuto().allocate(2L * maxValues, 64);
        interleaved = new int[maxValues / 2];
        d = new float[maxValues / 32];
        ds = new float[maxValues / 32];
        s16 = new int[maxValues / 16];
        k = new short[maxValues / 256 * 256];
        kd = new float[maxValues / 256];
        kbsum = new int[maxValues / 16];
    }

    /**
     * Quantizes {@code x[off .. off+count)} (a multiple of 32) into blocks {@code 0 .. count/32}, rounding half away
     * from zero as C's {@code roundf}. Vector path when {@link Int8#ENABLED} (two 16-lane vectors per block).
     */
    void quantize(float[] x, int off, int count) {
        quantize(x, off, count, ALL);
    }

    /** As {@link #quantize(float[], int, int)}, filling only the recombined copies in {@code layouts}. */
    void quantize(float[] x, int off, int count, int layouts) {
        if (Narrow.ENABLED && layouts == BLOCKS) {
            quantizeBlocksNarrow(x, off, count);
            return;
        }
        if (!Int8.ENABLED) {
            quantizeReference(x, off, count);
            return;
        }
        quantize(x, off, count, layouts, 0);
    }

    /**
     * The {@code n} tokens of {@code cols} values each from {@code x[off]}, one after another (token {@code t}'s
     * blocks from {@code t·cols/32}, its runs of 256 from {@code t·cols/256}), for the kernels of several tokens;
     * {@code layouts} without {@link #Q4_ROWS}, whose copy is made for one token only. Token by token, so that the
     * loops run as many times as for one token (C2 compiled them into code that boxed vectors once they had also run
     * over many tokens at once).
     */
    void quantizeTokens(float[] x, int off, int cols, int n, int layouts) {
        if ((layouts & Q4_ROWS) != 0 && n > 1) throw new IllegalArgumentException("the Q4_ROWS copy is for one token");
        if (Narrow.ENABLED && layouts == BLOCKS) {
            quantizeBlocksNarrow(x, off, n * cols);   // the tokens' blocks follow one another as their values do
            return;
        }
        if (!Int8.ENABLED) {
            quantizeReference(x, off, n * cols);
            return;
        }
        for (int t = 0; t < n; t++) quantize(x, off + t * cols, cols, layouts, t * cols);
    }

    /** {@code count} values from {@code x[off]} into the copies from value {@code to} (a multiple of 256 where K_ORDER is asked for). */
    private void quantize(float[] x, int off, int count, int layouts, int to) {
        if ((layouts & (BLOCKS | Q4_ROWS | Q4_INTERLEAVED)) != 0) quantizeBlocks(x, off, count, to / 32);
        if ((layouts & Q4_ROWS) != 0) arrangeVector(count / 32);
        if ((layouts & Q4_INTERLEAVED) != 0) interleaveVector(to / 32, count / 32);
        if ((layouts & K_ORDER) != 0) quantizeK(x, off, to / 256, count / 256);
    }

    /**
     * Fills {@link #q}, {@link #d}, {@link #ds} and {@link #s16} for {@code count / 32} blocks from block {@code b0},
     * two 16-lane vectors per block.
     */
    private void quantizeBlocks(float[] x, int off, int count, int b0) {
        for (int i = 0, nb = count / 32; i < nb; i++) {
            int b = b0 + i, xi = off + 32 * i, qi = 32 * b;
            FloatVector v0 = FloatVector.fromArray(F, x, xi), v1 = FloatVector.fromArray(F, x, xi + 16);
            float amax = v0.abs().max(v1.abs()).reduceLanes(VectorOperators.MAX);
            float inv = amax == 0 ? 0 : 127f / amax;
            IntVector i0 = round(v0.mul(inv)), i1 = round(v1.mul(inv));
            ((ShortVector) i0.convertShape(VectorOperators.I2S, Int8.S16, 0)).intoArray(q, qi);
            ((ShortVector) i1.convertShape(VectorOperators.I2S, Int8.S16, 0)).intoArray(q, qi + 16);
            d[b] = amax / 127f;
            s16[2 * b] = i0.reduceLanes(VectorOperators.ADD);
            s16[2 * b + 1] = i1.reduceLanes(VectorOperators.ADD);
            ds[b] = d[b] * (s16[2 * b] + s16[2 * b + 1]);
        }
    }

    /**
     * {@link #quantizeBlocks} in 8-lane vectors, for the 256-bit kernels ({@link Narrow}): {@link #q}, {@link #d},
     * {@link #s16} and {@link #ds} for the {@code count / 32} blocks from {@code x[off]}, from block 0. The same
     * arithmetic as {@link #quantizeReference}, value by value.
     */
    void quantizeBlocksNarrow(float[] x, int off, int count) {
        var f8 = Narrow.F8;
        var s8 = ShortVector.SPECIES_128;
        FloatVector plus = FloatVector.broadcast(f8, 0.5f), minus = FloatVector.broadcast(f8, -0.5f);
        for (int b = 0, nb = count / 32; b < nb; b++) {
            int xi = off + 32 * b, qi = 32 * b;
            FloatVector v0 = FloatVector.fromArray(f8, x, xi), v1 = FloatVector.fromArray(f8, x, xi + 8);
            FloatVector v2 = FloatVector.fromArray(f8, x, xi + 16), v3 = FloatVector.fromArray(f8, x, xi + 24);
            float amax = v0.abs().max(v1.abs()).max(v2.abs().max(v3.abs())).reduceLanes(VectorOperators.MAX);
            float inv = amax == 0 ? 0 : 127f / amax;
            // half away from zero: add ±0.5 by sign, then truncate
            v0 = v0.mul(inv);
            v1 = v1.mul(inv);
            v2 = v2.mul(inv);
            v3 = v3.mul(inv);
            IntVector i0 = (IntVector) v0.add(plus.blend(minus, v0.compare(VectorOperators.LT, 0f))).convert(VectorOperators.F2I, 0);
            IntVector i1 = (IntVector) v1.add(plus.blend(minus, v1.compare(VectorOperators.LT, 0f))).convert(VectorOperators.F2I, 0);
            IntVector i2 = (IntVector) v2.add(plus.blend(minus, v2.compare(VectorOperators.LT, 0f))).convert(VectorOperators.F2I, 0);
            IntVector i3 = (IntVector) v3.add(plus.blend(minus, v3.compare(VectorOperators.LT, 0f))).convert(VectorOperators.F2I, 0);
            ((ShortVector) i0.convertShape(VectorOperators.I2S, s8, 0)).intoArray(q, qi);
            ((ShortVector) i1.convertShape(VectorOperators.I2S, s8, 0)).intoArray(q, qi + 8);
            ((ShortVector) i2.convertShape(VectorOperators.I2S, s8, 0)).intoArray(q, qi + 16);
            ((ShortVector) i3.convertShape(VectorOperators.I2S, s8, 0)).intoArray(q, qi + 24);
            d[b] = amax / 127f;
            s16[2 * b] = i0.add(i1).reduceLanes(VectorOperators.ADD);
            s16[2 * b + 1] = i2.add(i3).reduceLanes(VectorOperators.ADD);
            ds[b] = d[b] * (s16[2 * b] + s16[2 * b + 1]);
        }
    }

    /** Scratch of {@link #quantizeK}: one run's integers in natural order, as pairs (ints). */
    private final int[] run = new int[128];

    /**
     * Fills {@link #k}, {@link #kd} and {@link #kbsum} for the first {@code runs} runs of 256 values from
     * {@code x[off]}: per run {@code d = max|x| / 127}, {@code q = round(x / d)} half away from zero, as {@link #q}.
     * Values are quantized in natural order, as pairs of shorts in ints, and then the pairs are moved to
     * {@link KOrder}: pair {@code 8i + t} (values {@code 16i + 2t}, {@code +1}) becomes int lane {@code i} of vector
     * {@code t}, a gather per vector.
     */
    private void quantizeK(float[] x, int off, int r0, int runs) {
        int[] pairs = run;
        for (int r = r0; r < r0 + runs; r++) {
            int xi = off + 256 * (r - r0);
            FloatVector m = FloatVector.fromArray(F, x, xi).abs();
            for (int i = 16; i < 256; i += 16) m = m.max(FloatVector.fromArray(F, x, xi + i).abs());
            float amax = m.reduceLanes(VectorOperators.MAX);
            float inv = amax == 0 ? 0 : 127f / amax;
            for (int j = 0; j < 16; j++) {
                IntVector q16 = round(FloatVector.fromArray(F, x, xi + 16 * j).mul(inv));
                ((ShortVector) q16.convertShape(VectorOperators.I2S, Int8.S16, 0)).reinterpretAsInts().intoArray(pairs, 8 * j);
                kbsum[16 * r + j] = q16.reduceLanes(VectorOperators.ADD);
            }
            kd[r] = amax / 127f;
            for (int t = 0; t < 8; t++) {
                IntVector.fromArray(Vec.I, pairs, t, PAIR_GATHER, 0).reinterpretAsShorts().intoArray(k, 256 * r + 32 * t);
            }
        }
    }

    /** Pair {@code 8i} for int lane {@code i}: with offset {@code t}, the pairs of vector {@code t} of {@link KOrder}. */
    private static final int[] PAIR_GATHER = java.util.stream.IntStream.range(0, 16).map(i -> 8 * i).toArray();

    /** Scalar reference of {@link #quantizeK}, the same float arithmetic value by value. */
    private void quantizeKReference(float[] x, int off, int runs) {
        for (int r = 0; r < runs; r++) {
            int xi = off + 256 * r;
            float amax = 0;
            for (int i = 0; i < 256; i++) amax = Math.max(amax, Math.abs(x[xi + i]));
            float inv = amax == 0 ? 0 : 127f / amax;
            java.util.Arrays.fill(kbsum, 16 * r, 16 * r + 16, 0);
            for (int i = 0; i < 256; i++) {
                float v = x[xi + i] * inv;
                int q = (int) (v + (v < 0 ? -0.5f : 0.5f));
                k[256 * r + KOrder.POSITION[i]] = (short) q;
                kbsum[16 * r + i / 16] += q;
            }
            kd[r] = amax / 127f;
        }
    }

    /** Elements whose nibbles a short lane holds at bits 0, 4, 8, 12, relative to its first element {@code e}. */
    private static final int[] PIECE_ELEMENTS = {0, 16, 1, 17};

    /** Word permutes of a block's 32 values (second table: zeros) giving, per short lane, the two terms of its coefficient. */
    private static final ShortVector PLUS = interleaveIndexes(true), MINUS = interleaveIndexes(false);

    /** {@link #interleave} as {@code PLUS − 16·MINUS}, one 32-lane vector per block. */
    private void interleaveVector(int b0, int nb) {
        ShortVector zero = ShortVector.zero(ShortVector.SPECIES_512);
        for (int b = b0; b < b0 + nb; b++) {
            ShortVector v = ShortVector.fromArray(ShortVector.SPECIES_512, q, 32 * b);
            ShortVector c = PLUS.selectFrom(v, zero).sub(MINUS.selectFrom(v, zero).lanewise(VectorOperators.LSHL, 4));
            c.reinterpretAsInts().intoArray(interleaved, 16 * b);
        }
    }

    /**
     * Short lane {@code L = 8j + 2i + h} (int {@code 4j + i}, half {@code h}, {@code e = 4j + 2h}): with {@code plus},
     * the index of the element its coefficient adds ({@code e + PIECE_ELEMENTS[i]}); otherwise of the element it
     * subtracts 16 times ({@code e + PIECE_ELEMENTS[i − 1]}), or 32, a zero lane of the second table, for {@code i = 0}.
     */
    private static ShortVector interleaveIndexes(boolean plus) {
        int[] offsets = PIECE_ELEMENTS;
        short[] idx = new short[32];
        for (int lane = 0; lane < 32; lane++) {
            int j = lane / 8, i = (lane / 2) % 4, h = lane % 2, e = 4 * j + 2 * h;
            idx[lane] = (short) (plus ? e + offsets[i] : i == 0 ? 32 : e + offsets[i - 1]);
        }
        return ShortVector.fromArray(ShortVector.SPECIES_512, idx, 0);
    }

    /** Fills {@link #interleaved} for the first {@code nb} blocks (the scalar reference of {@link #interleaveVector}). */
    private void interleave(int nb) {
        int[] offsets = PIECE_ELEMENTS;
        for (int b = 0; b < nb; b++) {
            for (int j = 0; j < 4; j++) {
                for (int i = 0; i < 4; i++) {
                    int packed = 0;
                    for (int h = 0; h < 2; h++) {
                        int e = 32 * b + 4 * j + 2 * h;
                        int c = q[e + offsets[i]] - (i == 0 ? 0 : 16 * q[e + offsets[i - 1]]);
                        packed |= (c & 0xffff) << (16 * h);
                    }
                    interleaved[16 * b + 4 * j + i] = packed;
                }
            }
        }
    }

    /** {@link #arrange} with 8-lane short vectors: four loads, two multiplies, a shift and a subtract per block. */
    private void arrangeVector(int nb) {
        for (int b = 0, whole = nb & ~15; b < whole; b++) {
            int src = 32 * b, dst = 32 * (b & ~3) + 8 * (b & 3);
            ShortVector lo0 = ShortVector.fromArray(ShortVector.SPECIES_128, q, src), hi0 = ShortVector.fromArray(ShortVector.SPECIES_128, q, src + 16);
            ShortVector lo1 = ShortVector.fromArray(ShortVector.SPECIES_128, q, src + 8), hi1 = ShortVector.fromArray(ShortVector.SPECIES_128, q, src + 24);
            lo0.mul((short) -255).intoMemorySegment(q4, 2L * dst, LE);
            hi0.sub(lo0.lanewise(VectorOperators.LSHL, 4)).intoMemorySegment(q4, 2L * (dst + 32), LE);
            lo1.mul((short) -255).intoMemorySegment(q4, 2L * (dst + 64), LE);
            hi1.sub(lo1.lanewise(VectorOperators.LSHL, 4)).intoMemorySegment(q4, 2L * (dst + 96), LE);
        }
    }

    /** Fills {@link #q4} for the whole runs of 16 among the first {@code nb} blocks. */
    private void arrange(int nb) {
        for (int b = 0, whole = nb & ~15; b < whole; b++) {
            int src = 32 * b, dst = 32 * (b & ~3) + 8 * (b & 3);   // group start, then 8 lanes per block
            for (int s = 0; s < 8; s++) {
                int lo0 = q[src + s], hi0 = q[src + 16 + s], lo1 = q[src + 8 + s], hi1 = q[src + 24 + s];
                q4.set(Q4, 2L * (dst + s), (short) (-255 * lo0));
                q4.set(Q4, 2L * (dst + 32 + s), (short) (hi0 - 16 * lo0));
                q4.set(Q4, 2L * (dst + 64 + s), (short) (-255 * lo1));
                q4.set(Q4, 2L * (dst + 96 + s), (short) (hi1 - 16 * lo1));
            }
        }
    }

    /** Half away from zero: add ±0.5 by sign, then truncate. */
    private static IntVector round(FloatVector v) {
        FloatVector half = FloatVector.broadcast(F, 0.5f).blend(FloatVector.broadcast(F, -0.5f), v.compare(VectorOperators.LT, 0f));
        return (IntVector) v.add(half).convertShape(VectorOperators.F2I, Vec.I, 0);
    }

    /** Scalar reference of {@link #quantize}, the same float arithmetic value by value. */
    void quantizeReference(float[] x, int off, int count) {
        for (int b = 0, nb = count / 32; b < nb; b++) {
            int xi = off + 32 * b, qi = 32 * b;
            float amax = 0;
            for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(x[xi + i]));
            float inv = amax == 0 ? 0 : 127f / amax;
            s16[2 * b] = 0;
            s16[2 * b + 1] = 0;
            for (int i = 0; i < 32; i++) {
                float v = x[xi + i] * inv;
                int r = (int) (v + (v < 0 ? -0.5f : 0.5f));
                q[qi + i] = (short) r;
                s16[2 * b + i / 16] += r;
            }
            d[b] = amax / 127f;
            ds[b] = d[b] * (s16[2 * b] + s16[2 * b + 1]);
        }
        arrange(count / 32);
        interleave(count / 32);
        quantizeKReference(x, off, count / 256);
    }
}
