package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * {@code exp(x)} in float lanes from plain arithmetic, so that compiled and interpreted code give the same bits (the
 * Vector API's {@code EXP} calls a vector math library once compiled and {@code Math.exp} before, which made a run's
 * results depend on when the JIT got to it). Cephes' {@code expf}: {@code x = k·ln2 + r} with {@code k} rounded to
 * nearest and {@code ln2} in two parts, {@code e^r} by a degree-5 polynomial in {@code r} on {@code |r| ≤ ln2/2}, then
 * {@code 2^k} added into the exponent bits. Within 2 ulp of {@link Math#exp} for inputs in [−87.3, 88.3]; below
 * that the result is 0 (so a softmax over −∞ scores gives exact zeros), above it is clamped (never infinite).
 *
 * <pre>{@code
 * FloatVector e = Exp.exp(x);       // vector
 * float s = Exp.exp(0.5f);          // the same arithmetic for one value
 * }</pre>
 */
final class Exp {
    private Exp() {}

    static final float MIN = -87.33654f, MAX = 88.37626f;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /** 1.5·2^23: adding it leaves {@code round(x·log2 e)} in the low mantissa bits. */
    private static final float ROUND = 12582912f;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    static FloatVector exp(FloatVector x) {
        VectorMask<Float> under = x.compare(VectorOperators.LT, MIN);
        x = x.max(MIN).min(MAX);
        FloatVector t = x.fma(LOG2E, ROUND);
        FloatVector k = t.sub(ROUND);
        FloatVector r = k.fma(c(x, -LN2_HI), x);
        r = k.fma(c(x, -LN2_LO), r);
        FloatVector p = r.fma(P0, P1).fma(r, c(x, P2)).fma(r, c(x, P3)).fma(r, c(x, P4)).fma(r, c(x, P5));
        FloatVector e = p.mul(r.mul(r)).add(r).add(1f);
        // the low bits of t hold k; shifted into the exponent field they scale e by 2^k
        IntVector scale = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23);
        return e.reinterpretAsInts().add(scale).reinterpretAsFloats().blend(0f, under);
    }

    private static FloatVector c(FloatVector like, float v) {
        return FloatVector.broadcast(like.species(), v);
    }

    /** The same arithmetic as {@link #exp(FloatVector)} for one value (bit for bit). */
    static float exp(float x) {
        if (x < MIN) return 0f;
        x = Math.min(x, MAX);
        float t = Math.fma(x, LOG2E, ROUND);
        float k = t - ROUND;
        float r = Math.fma(k, -LN2_HI, x);
        r = Math.fma(k, -LN2_LO, r);
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(r, P0, P1), r, P2), r, P3), r, P4), r, P5);
        float e = p * (r * r) + r + 1f;
        return Float.intBitsToFloat(Float.floatToRawIntBits(e) + (Float.floatToRawIntBits(t) << 23));
    }
}
