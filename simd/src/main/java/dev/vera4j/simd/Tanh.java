package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import static dev.vera4j.simd.Vec.F;

/**
 * The functions built on {@code tanh}: Gemma's soft-capping of attention scores and logits,
 * {@code cap · tanh(x / cap)}, and the tanh approximation of GELU ({@code gelu_pytorch_tanh}) of its gated
 * feed-forward network, {@code gelu(gate) ⊙ up}.
 *
 * <p>{@code tanh} is Cephes' {@code tanhf}: below 0.625 in magnitude an odd polynomial (full relative precision near
 * zero), above it {@code 1 − 2 / (e^{2|x|} + 1)} with {@link Exp}'s {@code e^x}. Like {@link Exp} it is one fixed
 * sequence of IEEE operations, so every JIT tier gives the same bits (training resumes bit for bit), and
 * {@link #tanhReference} is the same sequence on one float.
 *
 * <pre>{@code
 * Tanh.softCap(scores, 0, positions, 50f);      // scores = 50 · tanh(scores / 50)
 * Tanh.geluGated(gate, 0, up, 0, hiddenDim);    // gate = gelu(gate) · up
 * }</pre>
 */
public final class Tanh {
    /** Where Cephes switches from the polynomial to the exponential form. */
    private static final float SMALL = 0.625f;
    private static final float T0 = -5.70498872745e-3f, T1 = 2.06390887954e-2f, T2 = -5.37397155531e-2f;
    private static final float T3 = 1.33314422036e-1f, T4 = -3.33332819422e-1f;
    /** GELU's {@code sqrt(2/π)} and cubic coefficient. */
    static final float GELU_A = 0.7978845608028654f, GELU_B = 0.044715f;

    private Tanh() {}

    /** {@code x[off + i] = cap · tanh(x[off + i] / cap)} for {@code i < n}; {@code cap > 0}. */
    public static void softCap(float[] x, int off, int n, float cap) {
        apply(x, off, null, 0, n, cap);
    }

    /**
     * {@code gate[gOff + i] = gelu(gate[gOff + i]) · up[uOff + i]} for {@code i < n} (without {@code up} when it is
     * null), {@code gelu(x) = x/2 · (1 + tanh(√(2/π)·(x + 0.044715·x³)))}.
     */
    public static void geluGated(float[] gate, int gOff, float[] up, int uOff, int n) {
        apply(gate, gOff, up, uOff, n, 0f);
    }

    /**
     * Soft-capping ({@code cap > 0}) or gated GELU ({@code cap == 0}) in one loop, with tanh and its {@code e^x} written
     * out as in {@link Exp#expShifted}: as methods taking and returning vectors they were compiled on their own (called
     * from C1 code), and C2 then refused to inline the large compiled code into the loops ("already compiled into a big
     * method"), so every call boxed its vectors: an allocation per vector on some runs, depending on compile order.
     */
    private static void apply(float[] x, int off, float[] up, int uOff, int n, float cap) {
        boolean gelu = cap == 0f;
        float inv = gelu ? 0f : 1f / cap;
        for (int i = 0; i < n; i += F.length()) {
            VectorMask<Float> in = F.indexInRange(i, n);
            FloatVector v = FloatVector.fromArray(F, x, off + i, in);
            FloatVector arg = gelu ? v.mul(v).mul(v).mul(GELU_B).add(v).mul(GELU_A) : v.mul(inv);
            // tanh(arg) as in tanhReference
            FloatVector a = arg.abs(), z = arg.mul(arg);
            FloatVector poly = z.fma(T0, T1).fma(z, FloatVector.broadcast(F, T2)).fma(z, FloatVector.broadcast(F, T3))
                    .fma(z, FloatVector.broadcast(F, T4)).mul(z).fma(arg, arg);
            // e = e^(−2|arg|) as in Exp.expReference
            FloatVector m = a.mul(-2f), c = m.max(Exp.LO).min(Exp.HI);
            FloatVector t = c.fma(Exp.LOG2E, Exp.SHIFTER), k = t.sub(Exp.SHIFTER);
            FloatVector r = k.fma(Exp.NEG_LN2_LO, k.fma(Exp.NEG_LN2_HI, c));
            FloatVector p = r.fma(Exp.P0, Exp.P1).fma(r, Exp.V_P2).fma(r, Exp.V_P3).fma(r, Exp.V_P4).fma(r, Exp.V_P5);
            IntVector bits = (IntVector) t.reinterpretAsInts();
            FloatVector n2 = bits.sub(Exp.SHIFTER_BITS).lanewise(VectorOperators.LSHL, 23).add(Exp.ONE_BITS).reinterpretAsFloats();
            FloatVector e = p.fma(r.mul(r), r).add(1f).mul(n2)
                    .blend(Float.POSITIVE_INFINITY, m.compare(VectorOperators.GT, Exp.HI)).blend(0f, m.compare(VectorOperators.LT, Exp.LO))
                    .blend(m, m.test(VectorOperators.IS_NAN));
            FloatVector big = FloatVector.broadcast(F, 1f).sub(e).div(e.add(1f));
            big = big.blend(big.neg(), arg.compare(VectorOperators.LT, 0f));
            FloatVector th = poly.blend(big, a.compare(VectorOperators.GE, SMALL)).blend(arg, arg.test(VectorOperators.IS_NAN));
            FloatVector y = gelu ? v.mul(0.5f).mul(th.add(1f)) : th.mul(cap);
            if (up != null) y = y.mul(FloatVector.fromArray(F, up, uOff + i, in));
            y.intoArray(x, off + i, in);
        }
    }

    /** {@code tanh(x)} by the vector loops' operations on one float: the same bits. */
    public static float tanhReference(float x) {
        if (Float.isNaN(x)) return x;
        float a = Math.abs(x);
        if (a < SMALL) {
            float z = x * x;
            float p = Math.fma(Math.fma(Math.fma(Math.fma(z, T0, T1), z, T2), z, T3), z, T4) * z;
            return Math.fma(p, x, x);
        }
        float e = Exp.expReference(a * -2f);
        float t = (1f - e) / (e + 1f);
        return x < 0 ? -t : t;
    }

    /** GELU (tanh form) by the vector loops' operations on one float. */
    public static float geluReference(float x) {
        float inner = (x * x * x * GELU_B + x) * GELU_A;
        return x * 0.5f * (tanhReference(inner) + 1f);
    }

    /** Scalar reference in double: {@code cap · tanh(x / cap)}. */
    public static double softCapExact(double x, double cap) {
        return cap * Math.tanh(x / cap);
    }

    /** Scalar reference in double: GELU, tanh form. */
    public static double geluExact(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }
}
