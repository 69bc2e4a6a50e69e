package dev.vera4j.vera.lora;

import dev.vera4j.engine.model.LinearHook;
import dev.vera4j.engine.model.LinearSite;
import dev.vera4j.engine.model.LowRankUpdate;
import dev.vera4j.simd.FloatProducts;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.vera.VeraKernels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Applies a LoRA adapter on the fly: after each adapted projection {@code y = W·x} it adds
 * {@code weight · scale · B·(A·x)} ({@code scale} = {@code alpha/r}, or {@code alpha/√r} with rsLoRA), exactly what
 * llama.cpp adds for {@code --lora-scaled FILE weight}. One instance per session (it owns scratch memory); the
 * {@link LoraWeights} behind it are shared. Both products run over all tokens of the call ({@link FloatProducts}, split
 * over the model's pool when large); nothing is allocated per call. LoRA and VeRA hooks stack: each adds its own
 * {@code Δy}.
 *
 * <pre>{@code
 * session.addHook(new LoraHook(LoraWeights.prepare(LoraFile.read(p), base, p.toString(), false), session.batchSize(), 0.5f, model.pool()));
 * }</pre>
 */
public final class LoraHook implements LinearHook {
    /** Tokens per block of {@code B·h}: bounds the scratch at {@value} × the widest output. */
    private static final int TOKENS = 64;

    private final LoraWeights w;
    private final int maxTokens;
    private final float weight;
    private final FloatProducts fp;
    private final float[] ax;
    private final float[] z;

    /**
     * @param maxTokens the most tokens one call may carry (a session's batch size)
     * @param weight    scales the adapter's contribution ({@code 1} as trained)
     * @param pool      threads to split the products over (the model's), or {@code null}
     */
    public LoraHook(LoraWeights weights, int maxTokens, float weight, WorkerPool pool) {
        if (maxTokens < 1) throw new IllegalArgumentException("maxTokens must be positive, got " + maxTokens);
        if (!Float.isFinite(weight)) throw new IllegalArgumentException("adapter weight must be finite, got " + weight);
        this.w = weights;
        this.maxTokens = maxTokens;
        this.weight = weight;
        this.fp = new FloatProducts(pool);
        this.ax = new float[Math.multiplyExact(maxTokens, weights.maxRank())];
        this.z = new float[Math.multiplyExact(Math.min(maxTokens, TOKENS), weights.maxOut())];
    }

    public LoraWeights weights() { return w; }

    public float weight() { return weight; }

    /** Every adapted engine site as {@code weight·scale · B·(A·x)}: λ vectors of ones over the layer's own A and B. */
    @Override
    public LowRankUpdate lowRank() {
        List<LowRankUpdate.Term> terms = new ArrayList<>();
        for (LoraMatrices m : w.file().sites().values()) {
            for (LinearSite.Kind kind : m.site().target().kinds()) {
                LinearSite site = new LinearSite(m.site().layer(), kind);
                LoraWeights.Part p = w.part(site);
                float[] ones = new float[p.rows()], onesD = new float[m.rank()];
                Arrays.fill(ones, 1f);
                Arrays.fill(onesD, 1f);
                terms.add(new LowRankUpdate.Term(site, weight * m.scale(), p.aRows(), p.btRows(), onesD, ones));
            }
        }
        return new LowRankUpdate(terms);
    }

    @Override
    public void addDelta(LinearSite site, float[] x, int xOff, float[] y, int yOff, int n, int inDim, int outDim) {
        LoraWeights.Part p = site.kind().expert() ? null : w.part(site.layer(), site.kind());
        if (p == null) return;
        LoraMatrices m = p.layer();
        if (inDim != m.in() || outDim != p.rows()) {
            throw new IllegalArgumentException("LoRA adapter expects " + site + " to be " + p.rows() + " x " + m.in()
                    + " but the model's is " + outDim + " x " + inDim);
        }
        if (n > maxTokens) throw new IllegalArgumentException(n + " tokens in one call; this adapter instance was sized for " + maxTokens);
        int r = m.rank();
        float c = weight * m.scale();
        fp.multiply(p.aRows(), x, xOff, ax, 0, n);                       // A·x for every token
        for (int t0 = 0; t0 < n; t0 += TOKENS) {
            int tb = Math.min(TOKENS, n - t0);
            Arrays.fill(z, 0, tb * outDim, 0f);
            fp.accumulateTransposed(p.btRows(), ax, t0 * r, z, 0, tb);  // B·(A·x)
            for (int t = 0; t < tb; t++) VeraKernels.axpy(c, z, t * outDim, y, yOff + (t0 + t) * outDim, outDim);
        }
    }
}
