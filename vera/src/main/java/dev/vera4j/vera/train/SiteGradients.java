package dev.vera4j.vera.train;

import dev.vera4j.simd.FloatProducts;
import dev.vera4j.simd.FloatRows;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.vera.AdapterWeights;

import java.util.Arrays;

/**
 * The backward pass of the VeRA part of one adapted projection, {@code y += λ_b ⊙ B_l(λ_d ⊙ A_l x)}, whose forward
 * pass is {@link dev.vera4j.vera.VeraAdapter}'s: it accumulates {@code ∂L/∂λ_b = dy ⊙ B_l(λ_d ⊙ A_l x)},
 * {@code ∂L/∂λ_d = (B_lᵀ(λ_b ⊙ dy)) ⊙ A_l x} and adds the adapter's share of the input gradient, {@code A_lᵀ(λ_d ⊙ B_lᵀ(λ_b ⊙ dy))}. The four products run as matrix products
 * over blocks of {@value #TOKENS} tokens ({@link FloatProducts}, split over the pool); the λ gradients are summed over
 * the tokens in order, so the result does not depend on the thread count. Owns its scratch; allocates nothing per
 * call. Not thread-safe.
 *
 * <pre>{@code
 * SiteGradients sg = new SiteGradients(params.weights(), pool);
 * sg.backward(site, x, dy, dx, n, in, out);
 * }</pre>
 */
final class SiteGradients {
    /** Tokens per block: bounds the scratch at {@value} × the widest output. */
    static final int TOKENS = 64;

    private final AdapterWeights w;
    private final FloatProducts fp;
    /** Per block: {@code A_l x}, then {@code λ_d ⊙ A_l x}, then {@code B_lᵀ(λ_b ⊙ dy)}, each {@code TOKENS × rank}. */
    private final float[] z, h, e;
    /** Per block: {@code B_l h}, and {@code λ_b ⊙ dy}, each {@code TOKENS × out}. */
    private final float[] bh, scaledDy;

    SiteGradients(AdapterWeights weights, WorkerPool pool) {
        this.w = weights;
        this.fp = new FloatProducts(pool);
        int r = weights.rank();
        z = new float[TOKENS * r];
        h = new float[TOKENS * r];
        e = new float[TOKENS * r];
        bh = new float[TOKENS * weights.maxOut()];
        scaledDy = new float[TOKENS * weights.maxOut()];
    }

    /**
     * For inputs {@code x} and output gradients {@code dy} of {@code n} tokens of one engine site, the rows
     * {@code p} of an adapted layer ({@code p == null}: not adapted): λ_b's gradient of those rows, λ_d's summed over
     * every part of the layer.
     */
    void backward(TrainableLambdas.Part p, float[] x, float[] dy, float[] dxOut, int n, int in, int out) {
        if (p == null) return;
        TrainableLambdas.Site s = p.site();
        int off = p.rows().offset();
        float[] lb = s.lambdaB(), ld = s.lambdaD(), gb = s.gradB(), gd = s.gradD();
        int r = w.rank();
        FloatRows a = s.weights().aRows(), bt = p.rows().btRows();
        for (int t0 = 0; t0 < n; t0 += TOKENS) {
            int tb = Math.min(TOKENS, n - t0);
            project(a, bt, ld, x, t0 * in, tb);
            for (int t = 0; t < tb; t++) {
                int row = (t0 + t) * out, zo = t * out;
                for (int o = 0; o < out; o++) {
                    float g = dy[row + o];
                    gb[off + o] += g * bh[zo + o];
                    scaledDy[zo + o] = lb[off + o] * g;
                }
            }
            fp.multiply(bt, scaledDy, 0, e, 0, tb);                                    // B_lᵀ(λ_b ⊙ dy)
            for (int t = 0; t < tb; t++) {
                for (int i = 0; i < r; i++) {
                    gd[i] += e[t * r + i] * z[t * r + i];
                    e[t * r + i] *= ld[i];
                }
            }
            fp.accumulateTransposed(a, e, 0, dxOut, t0 * in, tb);                      // A_lᵀ(λ_d ⊙ …)
        }
    }

    /** {@code z = A_l x}, {@code h = λ_d ⊙ z} and {@code bh = B_l h} for {@code tb} tokens from {@code x[xOff ..]}. */
    private void project(FloatRows a, FloatRows bt, float[] ld, float[] x, int xOff, int tb) {
        int r = a.rows(), out = bt.cols();
        fp.multiply(a, x, xOff, z, 0, tb);
        for (int t = 0; t < tb; t++) for (int i = 0; i < r; i++) h[t * r + i] = z[t * r + i] * ld[i];
        Arrays.fill(bh, 0, tb * out, 0f);
        fp.accumulateTransposed(bt, h, 0, bh, 0, tb);
    }
}
