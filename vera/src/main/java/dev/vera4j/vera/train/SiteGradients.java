package dev.vera4j.vera.train;

import dev.vera4j.vera.AdapterWeights;
import dev.vera4j.vera.VeraKernels;

import java.util.Arrays;

/**
 * The VeRA part of one adapted projection, {@code y += λ_b ⊙ B_l(λ_d ⊙ A_l x)}, forward and backward: the backward
 * accumulates {@code ∂L/∂λ_b = dy ⊙ B_l(λ_d ⊙ A_l x)}, {@code ∂L/∂λ_d = (B_lᵀ(λ_b ⊙ dy)) ⊙ A_l x} and adds the
 * adapter's share of the input gradient, {@code A_lᵀ(λ_d ⊙ B_lᵀ(λ_b ⊙ dy))}. Owns per-token scratch; allocates
 * nothing per call. Not thread-safe.
 *
 * <pre>{@code
 * SiteGradients sg = new SiteGradients(params.weights());
 * sg.backward(site, x, dy, dx, n, in, out);
 * }</pre>
 */
final class SiteGradients {
    private final AdapterWeights w;
    private final float[] z, bh, scaledDy;

    SiteGradients(AdapterWeights weights) {
        this.w = weights;
        z = new float[weights.rank()];
        bh = new float[weights.maxOut()];
        scaledDy = new float[weights.maxOut()];
    }

    /** For inputs {@code x} and output gradients {@code dy} of {@code n} tokens; {@code s == null}: not adapted. */
    void backward(TrainableLambdas.Site s, float[] x, float[] dy, float[] dxOut, int n, int in, int out) {
        if (s == null) return;
        float[] a = w.a(), bt = s.weights().bt(), lb = s.lambdaB(), ld = s.lambdaD(), gb = s.gradB(), gd = s.gradD();
        int r = z.length, stride = w.aStride(), bStride = s.weights().btStride();
        for (int t = 0; t < n; t++) {
            int row = t * out;
            Arrays.fill(bh, 0, out, 0f);
            for (int i = 0; i < r; i++) {
                z[i] = VeraKernels.dot(a, i * stride, x, t * in, in);
                VeraKernels.axpy(z[i] * ld[i], bt, i * bStride, bh, 0, out);    // B_l·(λ_d ⊙ z)
            }
            for (int o = 0; o < out; o++) {
                float g = dy[row + o];
                gb[o] += g * bh[o];
                scaledDy[o] = lb[o] * g;
            }
            for (int i = 0; i < r; i++) {
                float e = VeraKernels.dot(bt, i * bStride, scaledDy, 0, out);  // (B_lᵀ(λ_b ⊙ dy))_i
                gd[i] += e * z[i];
                VeraKernels.axpy(ld[i] * e, a, i * stride, dxOut, t * in, in);
            }
        }
    }

    /** {@code y += λ_b ⊙ B_l(λ_d ⊙ A_l x)} for {@code n} rows, as the adapter hook adds it. */
    void forward(TrainableLambdas.Site s, float[] x, int n, int in, int out, float[] y) {
        if (s == null) return;
        float[] a = w.a(), bt = s.weights().bt(), lb = s.lambdaB(), ld = s.lambdaD();
        int r = z.length, stride = w.aStride(), bStride = s.weights().btStride();
        for (int t = 0; t < n; t++) {
            Arrays.fill(bh, 0, out, 0f);
            for (int i = 0; i < r; i++) VeraKernels.axpy(VeraKernels.dot(a, i * stride, x, t * in, in) * ld[i], bt, i * bStride, bh, 0, out);
            for (int o = 0; o < out; o++) y[t * out + o] += lb[o] * bh[o];
        }
    }
}
