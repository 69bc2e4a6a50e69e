package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;

import static dev.vera4j.simd.Vec.F;
import static dev.vera4j.simd.Vec.L;

/**
 * Register-blocked float micro-kernels of the many-token product: {@code y[t·ys + r] (+)= Σ_k w[r·ws + k]·x[t·xs + k]}
 * over a run of {@code kc} columns, for 4 rows × 4 tokens (16 vector accumulators, 8 loads per 16 FMAs, so the FMA
 * units rather than the loads set the pace; 2 × 4 where there are 16 vector registers, AVX2), 4 × 1, 1 × 4 and
 * 1 × 1. With {@code add} the sums are added to {@code y}, so a caller can walk the columns in chunks that keep a tile of the weights in L1 while the tokens stream past.
 *
 * <p>Every output is one vector accumulator over the whole vectors of the run, summed across lanes in {@link Sums}'
 * fixed order, then the columns past the last whole vector ({@code kc % L}) by scalar FMAs: the same operations in
 * every tile shape and every JIT tier, so neither which tile (and so which thread's row range) computes an output nor
 * whether its method is compiled yet changes its bits.
 */
final class FloatTile {
    /**
     * Lanes with the top lane bit ({@code L/2}) or the next ({@code L/4}) set, and the permutes pairing lane {@code i}
     * with {@code i ^ L/2}, {@code i ^ L/4}, {@code i ^ 2} and {@code i ^ 1}: the steps of {@link Sums}' halving order.
     */
    private static final VectorMask<Float> MH = bits(L / 2), MQ = bits(L / 4);
    private static final VectorShuffle<Float> XH = Sums.xor(L / 2), XQ = Sums.xor(L / 4);
    /** With 16 lanes: lanes with bit 3, 2, 1 or 0 set, and the permutes pairing lane {@code i} with {@code i ^ 8, 4, 2, 1}. */
    private static final VectorMask<Float> M8 = bits(8), M4 = bits(4), M2 = bits(2), M1 = bits(1);
    private static final VectorShuffle<Float> X8 = Sums.X8, X4 = Sums.X4, X2 = Sums.X2, X1 = Sums.X1;

    private FloatTile() {}

    private static VectorMask<Float> bits(int bit) {
        boolean[] set = new boolean[L];
        for (int i = 0; i < L; i++) set[i] = (i & bit) != 0;
        return VectorMask.fromArray(F, set, 0);
    }

    static void tile4x4(float[] w, int wo, int ws, float[] x, int xo, int xs, int kc, float[] y, int yo, int ys, boolean add) {
        int w1 = wo + ws, w2 = w1 + ws, w3 = w2 + ws;
        int x1 = xo + xs, x2 = x1 + xs, x3 = x2 + xs;
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
        FloatVector c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z;
        int k = 0, end = kc - kc % L;
        for (; k < end; k += L) {
            FloatVector a0 = FloatVector.fromArray(F, w, wo + k), a1 = FloatVector.fromArray(F, w, w1 + k);
            FloatVector a2 = FloatVector.fromArray(F, w, w2 + k), a3 = FloatVector.fromArray(F, w, w3 + k);
            FloatVector b = FloatVector.fromArray(F, x, xo + k);
            c00 = a0.fma(b, c00); c10 = a1.fma(b, c10); c20 = a2.fma(b, c20); c30 = a3.fma(b, c30);
            b = FloatVector.fromArray(F, x, x1 + k);
            c01 = a0.fma(b, c01); c11 = a1.fma(b, c11); c21 = a2.fma(b, c21); c31 = a3.fma(b, c31);
            b = FloatVector.fromArray(F, x, x2 + k);
            c02 = a0.fma(b, c02); c12 = a1.fma(b, c12); c22 = a2.fma(b, c22); c32 = a3.fma(b, c32);
            b = FloatVector.fromArray(F, x, x3 + k);
            c03 = a0.fma(b, c03); c13 = a1.fma(b, c13); c23 = a2.fma(b, c23); c33 = a3.fma(b, c33);
        }
        // The 16 lane sums in Sums' order, bit for bit. Written out here and in every tile: a vector passed to a helper
        // that C2 declines to inline (it gives up inlining in large graphs) is boxed, an allocation per call.
        float s00, s10, s20, s30, s01, s11, s21, s31, s02, s12, s22, s32, s03, s13, s23, s33;
        if (L == 16) {
            // each step halves the lanes of two accumulators and packs both into one vector: 15 blend-blend-permute-add
            // steps in all
            FloatVector d0 = c00.blend(c02, M8).add(c02.blend(c00, M8).rearrange(X8));
            FloatVector d1 = c01.blend(c03, M8).add(c03.blend(c01, M8).rearrange(X8));
            FloatVector d2 = c20.blend(c22, M8).add(c22.blend(c20, M8).rearrange(X8));
            FloatVector d3 = c21.blend(c23, M8).add(c23.blend(c21, M8).rearrange(X8));
            FloatVector d4 = c10.blend(c12, M8).add(c12.blend(c10, M8).rearrange(X8));
            FloatVector d5 = c11.blend(c13, M8).add(c13.blend(c11, M8).rearrange(X8));
            FloatVector d6 = c30.blend(c32, M8).add(c32.blend(c30, M8).rearrange(X8));
            FloatVector d7 = c31.blend(c33, M8).add(c33.blend(c31, M8).rearrange(X8));
            FloatVector e0 = d0.blend(d1, M4).add(d1.blend(d0, M4).rearrange(X4));
            FloatVector e1 = d2.blend(d3, M4).add(d3.blend(d2, M4).rearrange(X4));
            FloatVector e2 = d4.blend(d5, M4).add(d5.blend(d4, M4).rearrange(X4));
            FloatVector e3 = d6.blend(d7, M4).add(d7.blend(d6, M4).rearrange(X4));
            FloatVector f0 = e0.blend(e1, M2).add(e1.blend(e0, M2).rearrange(X2));
            FloatVector f1 = e2.blend(e3, M2).add(e3.blend(e2, M2).rearrange(X2));
            FloatVector g = f0.blend(f1, M1).add(f1.blend(f0, M1).rearrange(X1));
            // lane 4·t + r holds row r, token t
            s00 = g.lane(0); s10 = g.lane(1); s20 = g.lane(2); s30 = g.lane(3);
            s01 = g.lane(4); s11 = g.lane(5); s21 = g.lane(6); s31 = g.lane(7);
            s02 = g.lane(8); s12 = g.lane(9); s22 = g.lane(10); s32 = g.lane(11);
            s03 = g.lane(12); s13 = g.lane(13); s23 = g.lane(14); s33 = g.lane(15);
        } else {
            // 8 or 4 lanes: per token, the first two halving steps pack its four rows into one vector, then the rest
            FloatVector d0 = c00.blend(c10, MH).add(c10.blend(c00, MH).rearrange(XH));
            FloatVector d1 = c20.blend(c30, MH).add(c30.blend(c20, MH).rearrange(XH));
            FloatVector g0 = d0.blend(d1, MQ).add(d1.blend(d0, MQ).rearrange(XQ));
            d0 = c01.blend(c11, MH).add(c11.blend(c01, MH).rearrange(XH));
            d1 = c21.blend(c31, MH).add(c31.blend(c21, MH).rearrange(XH));
            FloatVector g1 = d0.blend(d1, MQ).add(d1.blend(d0, MQ).rearrange(XQ));
            d0 = c02.blend(c12, MH).add(c12.blend(c02, MH).rearrange(XH));
            d1 = c22.blend(c32, MH).add(c32.blend(c22, MH).rearrange(XH));
            FloatVector g2 = d0.blend(d1, MQ).add(d1.blend(d0, MQ).rearrange(XQ));
            d0 = c03.blend(c13, MH).add(c13.blend(c03, MH).rearrange(XH));
            d1 = c23.blend(c33, MH).add(c33.blend(c23, MH).rearrange(XH));
            FloatVector g3 = d0.blend(d1, MQ).add(d1.blend(d0, MQ).rearrange(XQ));
            if (L >= 8) {
                g0 = g0.add(g0.rearrange(X1)); g1 = g1.add(g1.rearrange(X1));
                g2 = g2.add(g2.rearrange(X1)); g3 = g3.add(g3.rearrange(X1));
            }
            // in g_t, lane 0 holds row 0, lane L/2 row 1, lane L/4 row 2, lane 3L/4 row 3
            int h = L / 2, q = L / 4, hq = h + q;
            s00 = g0.lane(0); s10 = g0.lane(h); s20 = g0.lane(q); s30 = g0.lane(hq);
            s01 = g1.lane(0); s11 = g1.lane(h); s21 = g1.lane(q); s31 = g1.lane(hq);
            s02 = g2.lane(0); s12 = g2.lane(h); s22 = g2.lane(q); s32 = g2.lane(hq);
            s03 = g3.lane(0); s13 = g3.lane(h); s23 = g3.lane(q); s33 = g3.lane(hq);
        }
        if (k < kc) {
            s00 = tail(s00, w, wo, x, xo, k, kc); s10 = tail(s10, w, w1, x, xo, k, kc);
            s20 = tail(s20, w, w2, x, xo, k, kc); s30 = tail(s30, w, w3, x, xo, k, kc);
            s01 = tail(s01, w, wo, x, x1, k, kc); s11 = tail(s11, w, w1, x, x1, k, kc);
            s21 = tail(s21, w, w2, x, x1, k, kc); s31 = tail(s31, w, w3, x, x1, k, kc);
            s02 = tail(s02, w, wo, x, x2, k, kc); s12 = tail(s12, w, w1, x, x2, k, kc);
            s22 = tail(s22, w, w2, x, x2, k, kc); s32 = tail(s32, w, w3, x, x2, k, kc);
            s03 = tail(s03, w, wo, x, x3, k, kc); s13 = tail(s13, w, w1, x, x3, k, kc);
            s23 = tail(s23, w, w2, x, x3, k, kc); s33 = tail(s33, w, w3, x, x3, k, kc);
        }
        // stores written out here: C2 did not inline a store helper into this large method (16 calls per tile)
        int y1 = yo + ys, y2 = y1 + ys, y3 = y2 + ys;
        if (add) {
            y[yo] += s00; y[yo + 1] += s10; y[yo + 2] += s20; y[yo + 3] += s30;
            y[y1] += s01; y[y1 + 1] += s11; y[y1 + 2] += s21; y[y1 + 3] += s31;
            y[y2] += s02; y[y2 + 1] += s12; y[y2 + 2] += s22; y[y2 + 3] += s32;
            y[y3] += s03; y[y3 + 1] += s13; y[y3 + 2] += s23; y[y3 + 3] += s33;
        } else {
            y[yo] = s00; y[yo + 1] = s10; y[yo + 2] = s20; y[yo + 3] = s30;
            y[y1] = s01; y[y1 + 1] = s11; y[y1 + 2] = s21; y[y1 + 3] = s31;
            y[y2] = s02; y[y2 + 1] = s12; y[y2 + 2] = s22; y[y2 + 3] = s32;
            y[y3] = s03; y[y3 + 1] = s13; y[y3 + 2] = s23; y[y3 + 3] = s33;
        }
    }

    /**
     * Two rows × four tokens (8 accumulators): the many-token tile where vectors have 8 lanes (AVX2), whose 16 vector
     * registers cannot hold the 4 × 4 tile's 16 accumulators and its operands; the 4 × 4 tile spilled there and ran at
     * less than half this tile's FLOP rate. Each output's arithmetic is that of every other tile.
     */
    static void tile2x4(float[] w, int wo, int ws, float[] x, int xo, int xs, int kc, float[] y, int yo, int ys, boolean add) {
        int w1 = wo + ws;
        int x1 = xo + xs, x2 = x1 + xs, x3 = x2 + xs;
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
        int k = 0, end = kc - kc % L;
        for (; k < end; k += L) {
            FloatVector a0 = FloatVector.fromArray(F, w, wo + k), a1 = FloatVector.fromArray(F, w, w1 + k);
            FloatVector b = FloatVector.fromArray(F, x, xo + k);
            c00 = a0.fma(b, c00); c10 = a1.fma(b, c10);
            b = FloatVector.fromArray(F, x, x1 + k);
            c01 = a0.fma(b, c01); c11 = a1.fma(b, c11);
            b = FloatVector.fromArray(F, x, x2 + k);
            c02 = a0.fma(b, c02); c12 = a1.fma(b, c12);
            b = FloatVector.fromArray(F, x, x3 + k);
            c03 = a0.fma(b, c03); c13 = a1.fma(b, c13);
        }
        // per token, the first halving step packs both rows into one vector (row 0 in the low half, row 1 in the high
        // half), then the rest of Sums' order; written out, as in tile4x4
        FloatVector g0 = c00.blend(c10, MH).add(c10.blend(c00, MH).rearrange(XH));
        FloatVector g1 = c01.blend(c11, MH).add(c11.blend(c01, MH).rearrange(XH));
        FloatVector g2 = c02.blend(c12, MH).add(c12.blend(c02, MH).rearrange(XH));
        FloatVector g3 = c03.blend(c13, MH).add(c13.blend(c03, MH).rearrange(XH));
        g0 = g0.add(g0.rearrange(XQ)); g1 = g1.add(g1.rearrange(XQ));
        g2 = g2.add(g2.rearrange(XQ)); g3 = g3.add(g3.rearrange(XQ));
        if (L >= 16) {
            g0 = g0.add(g0.rearrange(X2)); g1 = g1.add(g1.rearrange(X2));
            g2 = g2.add(g2.rearrange(X2)); g3 = g3.add(g3.rearrange(X2));
        }
        if (L >= 8) {
            g0 = g0.add(g0.rearrange(X1)); g1 = g1.add(g1.rearrange(X1));
            g2 = g2.add(g2.rearrange(X1)); g3 = g3.add(g3.rearrange(X1));
        }
        int h = L / 2;
        store(y, yo, add, g0.lane(0), w, wo, x, xo, k, kc);
        store(y, yo + 1, add, g0.lane(h), w, w1, x, xo, k, kc);
        store(y, yo + ys, add, g1.lane(0), w, wo, x, x1, k, kc);
        store(y, yo + ys + 1, add, g1.lane(h), w, w1, x, x1, k, kc);
        store(y, yo + 2 * ys, add, g2.lane(0), w, wo, x, x2, k, kc);
        store(y, yo + 2 * ys + 1, add, g2.lane(h), w, w1, x, x2, k, kc);
        store(y, yo + 3 * ys, add, g3.lane(0), w, wo, x, x3, k, kc);
        store(y, yo + 3 * ys + 1, add, g3.lane(h), w, w1, x, x3, k, kc);
    }

    /** Four rows, one token: {@code y[yo + r]}. */
    static void tile4x1(float[] w, int wo, int ws, float[] x, int xo, int kc, float[] y, int yo, boolean add) {
        int w1 = wo + ws, w2 = w1 + ws, w3 = w2 + ws;
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0;
        int k = 0, end = kc - kc % L;
        for (; k < end; k += L) {
            FloatVector b = FloatVector.fromArray(F, x, xo + k);
            c0 = FloatVector.fromArray(F, w, wo + k).fma(b, c0);
            c1 = FloatVector.fromArray(F, w, w1 + k).fma(b, c1);
            c2 = FloatVector.fromArray(F, w, w2 + k).fma(b, c2);
            c3 = FloatVector.fromArray(F, w, w3 + k).fma(b, c3);
        }
        // the four lane sums packed as in tile4x4's narrow branch, written out for the same reason
        FloatVector d0 = c0.blend(c1, MH).add(c1.blend(c0, MH).rearrange(XH));
        FloatVector d1 = c2.blend(c3, MH).add(c3.blend(c2, MH).rearrange(XH));
        FloatVector g = d0.blend(d1, MQ).add(d1.blend(d0, MQ).rearrange(XQ));
        if (L >= 16) g = g.add(g.rearrange(X2));
        if (L >= 8) g = g.add(g.rearrange(X1));
        store(y, yo, add, g.lane(0), w, wo, x, xo, k, kc);
        store(y, yo + 1, add, g.lane(L / 2), w, w1, x, xo, k, kc);
        store(y, yo + 2, add, g.lane(L / 4), w, w2, x, xo, k, kc);
        store(y, yo + 3, add, g.lane(3 * L / 4), w, w3, x, xo, k, kc);
    }

    /** One row, four tokens: {@code y[yo + t·ys]}. */
    static void tile1x4(float[] w, int wo, float[] x, int xo, int xs, int kc, float[] y, int yo, int ys, boolean add) {
        int x1 = xo + xs, x2 = x1 + xs, x3 = x2 + xs;
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0;
        int k = 0, end = kc - kc % L;
        for (; k < end; k += L) {
            FloatVector a = FloatVector.fromArray(F, w, wo + k);
            c0 = a.fma(FloatVector.fromArray(F, x, xo + k), c0);
            c1 = a.fma(FloatVector.fromArray(F, x, x1 + k), c1);
            c2 = a.fma(FloatVector.fromArray(F, x, x2 + k), c2);
            c3 = a.fma(FloatVector.fromArray(F, x, x3 + k), c3);
        }
        // the four lane sums packed as in tile4x4's narrow branch, written out for the same reason
        FloatVector d0 = c0.blend(c1, MH).add(c1.blend(c0, MH).rearrange(XH));
        FloatVector d1 = c2.blend(c3, MH).add(c3.blend(c2, MH).rearrange(XH));
        FloatVector g = d0.blend(d1, MQ).add(d1.blend(d0, MQ).rearrange(XQ));
        if (L >= 16) g = g.add(g.rearrange(X2));
        if (L >= 8) g = g.add(g.rearrange(X1));
        store(y, yo, add, g.lane(0), w, wo, x, xo, k, kc);
        store(y, yo + ys, add, g.lane(L / 2), w, wo, x, x1, k, kc);
        store(y, yo + 2 * ys, add, g.lane(L / 4), w, wo, x, x2, k, kc);
        store(y, yo + 3 * ys, add, g.lane(3 * L / 4), w, wo, x, x3, k, kc);
    }

    /** One row, one token; one accumulator, as in the larger tiles, so an output's bits do not depend on its tile. */
    static void tile1x1(float[] w, int wo, float[] x, int xo, int kc, float[] y, int yo, boolean add) {
        FloatVector c0 = FloatVector.zero(F);
        int k = 0, end = kc - kc % L;
        for (; k < end; k += L) c0 = FloatVector.fromArray(F, w, wo + k).fma(FloatVector.fromArray(F, x, xo + k), c0);
        c0 = c0.add(c0.rearrange(XH));
        c0 = c0.add(c0.rearrange(XQ));
        if (L >= 16) c0 = c0.add(c0.rearrange(X2));
        if (L >= 8) c0 = c0.add(c0.rearrange(X1));
        store(y, yo, add, c0.lane(0), w, wo, x, xo, k, kc);
    }

    /**
     * Adds the scalar tail {@code [k, kc)} to an accumulator's lane sum and stores or adds the result. It takes the sum,
     * not the vector: if C2 compiled this on its own and then declined to inline it, a vector argument would be boxed
     * on every call (C2 did compile it apart from the 4 × 4 tile, which called it 16 times per tile).
     */
    private static void store(float[] y, int yi, boolean add, float s, float[] w, int wo, float[] x, int xo, int k, int kc) {
        s = tail(s, w, wo, x, xo, k, kc);
        y[yi] = add ? y[yi] + s : s;
    }

    /** {@code s + Σ_{k ≤ j < kc} w[wo + j]·x[xo + j]} by scalar FMAs, in order. */
    private static float tail(float s, float[] w, int wo, float[] x, int xo, int k, int kc) {
        for (; k < kc; k++) s = Math.fma(w[wo + k], x[xo + k], s);
        return s;
    }

    /** Scalar reference of one output, in double: {@code Σ_k w[wo + k]·x[xo + k]}. */
    static double reference(float[] w, int wo, float[] x, int xo, int kc) {
        double s = 0;
        for (int k = 0; k < kc; k++) s += (double) w[wo + k] * x[xo + k];
        return s;
    }
}
