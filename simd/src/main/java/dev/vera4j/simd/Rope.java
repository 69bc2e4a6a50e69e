package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;

import static dev.vera4j.simd.Vec.F;

/**
 * Rotary position embedding. A pair of dimensions {@code (a, b)} of every head is rotated by the angle
 * {@code θ_i = pos · invFreq[i]}: {@code a' = a·cos θ − b·sin θ}, {@code b' = a·sin θ + b·cos θ}.
 * {@link Mode#NORM} pairs adjacent values {@code (x[2i], x[2i+1])} (llama.cpp's layout for Llama GGUFs);
 * {@link Mode#NEOX} pairs {@code (x[i], x[i + d/2])} with {@code d} the rotated width (Qwen2/Qwen3, GPT-NeoX).
 * Only the first {@code 2·invFreq.length} dimensions of a head rotate; the rest pass through. A {@code magnitude}
 * other than 1 (LongRoPE's attention factor) multiplies the rotated dimensions, as Hugging Face multiplies its
 * cos/sin tables and llama.cpp its {@code attn_factor}; the pass-through dimensions keep theirs.
 *
 * <p>One instance per session holds the cos/sin tables of the current position, so applying it to all heads of all
 * layers computes the trigonometry once per token and allocates nothing:
 *
 * <pre>{@code
 * var rope = new Rope(Rope.Mode.NORM, headDim, Rope.inverseFrequencies(headDim, 500000f, 1f, null));
 * rope.position(pos);
 * rope.apply(q, 0, nHeads);
 * rope.apply(k, 0, nKvHeads);
 * }</pre>
 */
public final class Rope {
    /** Which dimensions form a rotated pair. */
    public enum Mode { NORM, NEOX }

    private static final VectorShuffle<Float> SWAP_PAIRS = VectorShuffle.fromOp(F, i -> i ^ 1);

    private final Mode mode;
    private final int headDim;
    private final float[] invFreq;
    private final float magnitude;
    /** NORM: per dimension (each pair's value twice), sin negated on the even lane. NEOX: per pair. */
    private final float[] cos, sin;
    private int position = -1;

    public Rope(Mode mode, int headDim, float[] invFreq) {
        this(mode, headDim, invFreq, 1f);
    }

    /** A rotation that also scales the rotated dimensions by {@code magnitude}. */
    public Rope(Mode mode, int headDim, float[] invFreq, float magnitude) {
        if (2 * invFreq.length > headDim) throw new IllegalArgumentException(invFreq.length + " frequencies rotate more than the head size " + headDim);
        this.magnitude = magnitude;
        this.mode = mode;
        this.headDim = headDim;
        this.invFreq = invFreq.clone();
        int width = mode == Mode.NORM ? 2 * invFreq.length : invFreq.length;
        this.cos = new float[width];
        this.sin = new float[width];
    }

    /**
     * {@code invFreq[i] = freqScale · base^(−2i/rotDim) / factors[i]} for {@code i < rotDim/2}: {@code freqScale} is
     * linear position scaling (1 for none), {@code factors} per-frequency divisors such as Llama-3.1's
     * {@code rope_freqs} (null for none).
     */
    public static float[] inverseFrequencies(int rotDim, float base, float freqScale, float[] factors) {
        if (rotDim <= 0 || rotDim % 2 != 0) throw new IllegalArgumentException("rotary width must be even and positive, got " + rotDim);
        int half = rotDim / 2;
        if (factors != null && factors.length < half) throw new IllegalArgumentException("need " + half + " frequency factors, got " + factors.length);
        float[] f = new float[half];
        for (int i = 0; i < half; i++) {
            double v = freqScale * Math.pow(base, -2.0 * i / rotDim);
            f[i] = (float) (factors == null ? v : v / factors[i]);
        }
        return f;
    }

    public Mode mode() { return mode; }

    /** Computes the tables for {@code pos} (cheap to call again with the same position). */
    public void position(int pos) {
        if (pos == position) return;
        for (int i = 0; i < invFreq.length; i++) {
            double theta = (double) pos * invFreq[i];
            float c = (float) (Math.cos(theta) * magnitude), s = (float) (Math.sin(theta) * magnitude);
            if (mode == Mode.NORM) {
                cos[2 * i] = c;
                cos[2 * i + 1] = c;
                sin[2 * i] = -s;
                sin[2 * i + 1] = s;
            } else {
                cos[i] = c;
                sin[i] = s;
            }
        }
        position = pos;
    }

    /** Rotates {@code nHeads} consecutive heads of {@link #headDim} values starting at {@code x[off]}. */
    public void apply(float[] x, int off, int nHeads) {
        if (position < 0) throw new IllegalStateException("call position(pos) before apply");
        for (int h = 0; h < nHeads; h++) {
            int base = off + h * headDim;
            if (mode == Mode.NORM) norm(x, base);
            else neox(x, base);
        }
    }

    private void norm(float[] x, int base) {
        int n = cos.length, i = 0;
        // the pair swap needs whole pairs per vector, which holds since the lane count is even
        for (int u = F.loopBound(n); i < u; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, base + i);
            v.mul(FloatVector.fromArray(F, cos, i)).add(v.rearrange(SWAP_PAIRS).mul(FloatVector.fromArray(F, sin, i))).intoArray(x, base + i);
        }
        for (; i < n; i += 2) {
            float a = x[base + i], b = x[base + i + 1];
            x[base + i] = a * cos[i] + b * sin[i];
            x[base + i + 1] = b * cos[i + 1] + a * sin[i + 1];
        }
    }

    private void neox(float[] x, int base) {
        int half = cos.length, i = 0;
        for (int u = F.loopBound(half); i < u; i += F.length()) {
            FloatVector a = FloatVector.fromArray(F, x, base + i), b = FloatVector.fromArray(F, x, base + half + i);
            FloatVector c = FloatVector.fromArray(F, cos, i), s = FloatVector.fromArray(F, sin, i);
            a.mul(c).sub(b.mul(s)).intoArray(x, base + i);
            a.mul(s).add(b.mul(c)).intoArray(x, base + half + i);
        }
        for (; i < half; i++) {
            float a = x[base + i], b = x[base + half + i];
            x[base + i] = a * cos[i] - b * sin[i];
            x[base + half + i] = a * sin[i] + b * cos[i];
        }
    }

    /** Scalar reference in double: rotates {@code nHeads} heads at {@code x[off]} for position {@code pos}. */
    public static void applyReference(Mode mode, float[] x, int off, int nHeads, int headDim, int pos, float[] invFreq) {
        applyReference(mode, x, off, nHeads, headDim, pos, invFreq, 1f);
    }

    /** Scalar reference in double, the rotated dimensions scaled by {@code magnitude}. */
    public static void applyReference(Mode mode, float[] x, int off, int nHeads, int headDim, int pos, float[] invFreq, float magnitude) {
        int pairs = invFreq.length;
        for (int h = 0; h < nHeads; h++) {
            int base = off + h * headDim;
            for (int i = 0; i < pairs; i++) {
                double theta = (double) pos * invFreq[i], c = Math.cos(theta) * magnitude, s = Math.sin(theta) * magnitude;
                int ia = mode == Mode.NORM ? base + 2 * i : base + i;
                int ib = mode == Mode.NORM ? base + 2 * i + 1 : base + pairs + i;
                double a = x[ia], b = x[ib];
                x[ia] = (float) (a * c - b * s);
                x[ib] = (float) (a * s + b * c);
            }
        }
    }
}
