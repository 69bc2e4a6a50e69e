package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import static dev.vera4j.simd.Vec.F;
import static dev.vera4j.simd.Vec.L;

/**
 * {@code e^x} for softmax and SiLU, by one fixed sequence of IEEE adds, multiplies and FMAs, within 2 ulp of
 * {@link Math#exp}: {@code x = n·ln 2 + r} with {@code n} rounded by the 1.5·2²³ shifter, a degree-6 polynomial in
 * {@code r} (Cephes' {@code expf} coefficients), and {@code 2^n} built in the exponent bits.
 *
 * <p>Why not {@code lanewise(EXP)}: C2 compiles it to Intel's SVML routine while interpreted and C1 code calls
 * {@code Math.exp} per lane, and the two differ in the last bit, so softmax and SiLU gave different bits before and
 * after their methods were compiled (and a resumed training run drifted from an uninterrupted one). Here every tier
 * computes the same operations. Arguments above {@link #HI} give +∞ and below {@link #LO} give 0 (no subnormal
 * results); NaN gives NaN.
 */
public final class Exp {
    /** Largest argument whose {@code n} fits a normal exponent: 127.5·ln 2. */
    static final float HI = 88.37626f;
    /** ln of the smallest normal float. */
    static final float LO = -87.33654f;
    // package-private for Tanh, whose loop writes the same sequence out
    static final float LOG2E = 1.44269504088896341f, SHIFTER = 0x1.8p23f;
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f;
    static final float P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;
    static final int SHIFTER_BITS = Float.floatToRawIntBits(SHIFTER), ONE_BITS = Float.floatToRawIntBits(1f);
    static final FloatVector NEG_LN2_HI = FloatVector.broadcast(F, -LN2_HI), NEG_LN2_LO = FloatVector.broadcast(F, -LN2_LO);
    static final FloatVector V_P2 = FloatVector.broadcast(F, P2), V_P3 = FloatVector.broadcast(F, P3);
    static final FloatVector V_P4 = FloatVector.broadcast(F, P4), V_P5 = FloatVector.broadcast(F, P5);

    private Exp() {}

    /**
     * {@code x[off + i] = e^(x[off + i] − shift)} for {@code i < n}, returning their sum ({@link Sums#ordered} order
     * within lanes): softmax's middle pass. One masked loop covers the tail, so every element takes the vector path.
     */
    public static float expShifted(float[] x, int off, int n, float shift) {
        FloatVector sum = FloatVector.zero(F);
        for (int i = 0; i < n; i += F.length()) {
            VectorMask<Float> in = F.indexInRange(i, n);
            FloatVector v = FloatVector.fromArray(F, x, off + i, in).sub(shift);
            // e^v, as in expReference (2^n from t = n + 1.5·2²³: n sits in t's low mantissa bits); written out here, in
            // silu and in Tanh, not called: a vector passed to a call that C2 does not inline is boxed (see Sums.ordered)
            FloatVector c = v.max(LO).min(HI);
            FloatVector t = c.fma(LOG2E, SHIFTER), k = t.sub(SHIFTER);
            FloatVector r = k.fma(NEG_LN2_LO, k.fma(NEG_LN2_HI, c));
            FloatVector p = r.fma(P0, P1).fma(r, V_P2).fma(r, V_P3).fma(r, V_P4).fma(r, V_P5);
            IntVector bits = (IntVector) t.reinterpretAsInts();
            FloatVector n2 = bits.sub(SHIFTER_BITS).lanewise(VectorOperators.LSHL, 23).add(ONE_BITS).reinterpretAsFloats();
            FloatVector e = p.fma(r.mul(r), r).add(1f).mul(n2)
                    .blend(Float.POSITIVE_INFINITY, v.compare(VectorOperators.GT, HI)).blend(0f, v.compare(VectorOperators.LT, LO))
                    .blend(v, v.test(VectorOperators.IS_NAN));
            e = e.blend(0f, in.not());
            e.intoArray(x, off + i, in);
            sum = sum.add(e);
        }
        // Sums.ordered(sum), written out: called once per softmax, that call was not always inlined, and the vector
        // passed to it was then boxed on every softmax
        if (L >= 16) sum = sum.add(sum.rearrange(Sums.X8));
        if (L >= 8) sum = sum.add(sum.rearrange(Sums.X4));
        sum = sum.add(sum.rearrange(Sums.X2));
        return sum.add(sum.rearrange(Sums.X1)).lane(0);
    }

    /**
     * {@code x[xOff + i] = x / (1 + e^(−x)) · up[uOff + i]} for {@code i < n} (SiLU, times {@code up} unless it is
     * null: the SwiGLU gate); the last {@code n % L} elements by {@link #expReference}, which gives the same bits.
     */
    public static void silu(float[] x, int xOff, float[] up, int uOff, int n) {
        int i = 0;
        for (int u = F.loopBound(n); i < u; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, x, xOff + i), v = g.neg();
            FloatVector c = v.max(LO).min(HI);
            FloatVector t = c.fma(LOG2E, SHIFTER), k = t.sub(SHIFTER);
            FloatVector r = k.fma(NEG_LN2_LO, k.fma(NEG_LN2_HI, c));
            FloatVector p = r.fma(P0, P1).fma(r, V_P2).fma(r, V_P3).fma(r, V_P4).fma(r, V_P5);
            IntVector bits = (IntVector) t.reinterpretAsInts();
            FloatVector n2 = bits.sub(SHIFTER_BITS).lanewise(VectorOperators.LSHL, 23).add(ONE_BITS).reinterpretAsFloats();
            FloatVector e = p.fma(r.mul(r), r).add(1f).mul(n2)
                    .blend(Float.POSITIVE_INFINITY, v.compare(VectorOperators.GT, HI)).blend(0f, v.compare(VectorOperators.LT, LO))
                    .blend(v, v.test(VectorOperators.IS_NAN));
            FloatVector y = g.div(e.add(1f));
            if (up != null) y = y.mul(FloatVector.fromArray(F, up, uOff + i));
            y.intoArray(x, xOff + i);
        }
        for (; i < n; i++) {
            float y = x[xOff + i] / (expReference(-x[xOff + i]) + 1f);
            x[xOff + i] = up != null ? y * up[uOff + i] : y;
        }
    }

    /** Scalar reference: the same operations on one float, so it equals the vector loops' {@code e^x} bit for bit. */
    public static float expReference(float x) {
        if (Float.isNaN(x)) return x;
        if (x > HI) return Float.POSITIVE_INFINITY;
        if (x < LO) return 0f;
        float t = Math.fma(x, LOG2E, SHIFTER);
        float n = t - SHIFTER;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(r, P0, P1), r, P2), r, P3), r, P4), r, P5);
        float y = Math.fma(p, r * r, r) + 1f;
        return y * Float.intBitsToFloat(((Float.floatToRawIntBits(t) - SHIFTER_BITS) << 23) + ONE_BITS);
    }
}
