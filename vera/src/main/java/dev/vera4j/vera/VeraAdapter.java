package dev.vera4j.vera;

import dev.vera4j.engine.model.LinearHook;
import dev.vera4j.engine.model.LinearSite;
import dev.vera4j.engine.model.LowRankUpdate;
import dev.vera4j.simd.FloatProducts;
import dev.vera4j.simd.WorkerPool;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Applies a VeRA adapter on the fly: after each adapted projection {@code y = W·x} it adds
 * {@code weight · λ_b ⊙ (B_l · (λ_d ⊙ (A_l · x)))}. One instance per session (it owns scratch memory); the
 * {@link AdapterWeights} behind it are shared, so several adapters can be loaded once against one mapped base and
 * chosen per session.
 *
 * <p>{@code A·x} is the expensive half and does not depend on the layer's λ's, so it is computed once per distinct
 * input: q, k and v read the same normalized hidden state, as do gate and up. The transformer calls hooks right after
 * each projection, in order, so the product is reused when the previous call had the same layer, input group, array,
 * offset and token count; any other call in between discards it. Nothing is allocated per call. Both products are
 * matrix products over all tokens ({@link FloatProducts}); with a {@link WorkerPool} (the model's: hooks run on the
 * forward thread between its jobs) they are split over its threads: rows of {@code A·x}, columns of {@code B·h}.
 *
 * <p>{@link #lowRank()} describes the same update as data for backends that run it on their device: one term per
 * adapted site, all reading the one shared {@code A} (and {@code B}, or its q/k row-permuted copy) of the
 * {@link AdapterWeights}.
 *
 * <pre>{@code
 * AdapterWeights w = AdapterWeights.prepare(AdapterFile.read(p), BaseFingerprint.of(model.path()), p.toString(), false);
 * Session s = model.newSession();
 * s.addHook(new VeraAdapter(w, s.batchSize(), 0.5f, model.pool()));   // half strength
 * }</pre>
 */
public final class VeraAdapter implements LinearHook {
    /** Input groups: sites in one group read the same activations (an expert's gate and up read its gathered rows). */
    private static final int[] GROUP_OF_KIND = new int[LinearSite.Kind.values().length];

    static {
        for (LinearSite.Kind k : LinearSite.Kind.values()) {
            GROUP_OF_KIND[k.ordinal()] = switch (k) {
                case Q, K, V -> 0;
                case O -> 1;
                case GATE, UP -> 2;
                case DOWN -> 3;
                case OUTPUT -> 4;
                case GATE_EXP, UP_EXP -> 5;
                case DOWN_EXP -> 6;
                case GATE_SHEXP, UP_SHEXP -> 7;
                case DOWN_SHEXP -> 8;
            };
        }
    }

    /** Tokens per block of {@code B·h}: bounds the scratch at {@value} × the widest output. */
    private static final int TOKENS = 64;

    private final AdapterWeights w;
    private final int maxTokens;
    private final float weight;
    private final FloatProducts fp;
    private final float[] ax;
    private final float[] h;
    private final float[] z;
    private boolean cached;
    private int cLayer = Integer.MIN_VALUE, cGroup, cExpert, cOff, cN, cIn;
    private float[] cX;

    /** A single-threaded adapter; see {@link #VeraAdapter(AdapterWeights, int, float, WorkerPool)}. */
    public VeraAdapter(AdapterWeights weights, int maxTokens, float weight) {
        this(weights, maxTokens, weight, null);
    }

    /**
     * @param maxTokens the most tokens one call may carry (a session's batch size)
     * @param weight    scales the adapter's contribution ({@code 1} as trained)
     * @param pool      threads to split the products over (the model's: hooks run between its jobs), or {@code null}
     */
    public VeraAdapter(AdapterWeights weights, int maxTokens, float weight, WorkerPool pool) {
        this(weights, maxTokens, weight, pool, FloatProducts.PARALLEL_MIN);
    }

    /** As above, splitting products of at least {@code parallelMin} multiply-adds (tests use 0 to split everything). */
    VeraAdapter(AdapterWeights weights, int maxTokens, float weight, WorkerPool pool, long parallelMin) {
        if (maxTokens < 1) throw new IllegalArgumentException("maxTokens must be positive, got " + maxTokens);
        if (!Float.isFinite(weight)) throw new IllegalArgumentException("adapter weight must be finite, got " + weight);
        this.w = weights;
        this.maxTokens = maxTokens;
        this.weight = weight;
        this.fp = new FloatProducts(pool, parallelMin);
        this.ax = new float[Math.multiplyExact(maxTokens, weights.rank())];
        this.h = new float[Math.multiplyExact(maxTokens, weights.rank())];
        this.z = new float[Math.multiplyExact(Math.min(maxTokens, TOKENS), weights.maxOut())];
    }

    public AdapterWeights weights() { return w; }

    public float weight() { return weight; }

    /**
     * Every adapted engine site as {@code weight · λ_b ⊙ (B_l · (λ_d ⊙ (A_l · x)))}, over the shared A and B; a part of
     * a fused module (Phi-3) gets a copy of its slice of λ_b as it is now.
     */
    @Override
    public LowRankUpdate lowRank() {
        List<LowRankUpdate.Term> terms = new ArrayList<>();
        for (VeraSite key : w.file().lambdas().keySet()) {
            for (LinearSite.Kind kind : key.target().kinds()) {
                LinearSite site = new LinearSite(key.layer(), kind, key.expert());
                AdapterWeights.Part p = w.part(site);
                float[] lb = p.site().lambdaB();
                if (p.out() != lb.length) lb = Arrays.copyOfRange(lb, p.offset(), p.offset() + p.out());
                terms.add(new LowRankUpdate.Term(site, weight, p.site().aRows(), p.btRows(), p.site().lambdaD(), lb));
            }
        }
        return new LowRankUpdate(terms);
    }

    @Override
    public void addDelta(LinearSite site, float[] x, int xOff, float[] y, int yOff, int n, int inDim, int outDim) {
        int kind = site.kind().ordinal(), layer = site.layer(), group = GROUP_OF_KIND[kind], expert = site.expert();
        if (layer != cLayer || group != cGroup || expert != cExpert || x != cX || xOff != cOff || n != cN || inDim != cIn) {
            cached = false;
            cLayer = layer;
            cGroup = group;
            cExpert = expert;
            cX = x;
            cOff = xOff;
            cN = n;
            cIn = inDim;
        }
        AdapterWeights.Part part = w.part(site);
        if (part == null) return;
        AdapterWeights.Site s = part.site();
        if (inDim != s.in() || outDim != part.out()) {
            throw new IllegalArgumentException("VeRA adapter expects " + site + " to be " + part.out() + " x " + s.in()
                    + " but the model's is " + outDim + " x " + inDim);
        }
        if (n > maxTokens) {
            throw new IllegalArgumentException(n + " tokens in one call; this adapter instance was sized for " + maxTokens);
        }
        int r = w.rank();
        if (!cached) {
            fp.multiply(s.aRows(), x, xOff, ax, 0, n);
            cached = true;
        }
        float[] ld = s.lambdaD(), lb = s.lambdaB();
        for (int t = 0; t < n; t++) for (int i = 0; i < r; i++) h[t * r + i] = ax[t * r + i] * ld[i];
        for (int t0 = 0; t0 < n; t0 += TOKENS) {
            int tb = Math.min(TOKENS, n - t0);
            Arrays.fill(z, 0, tb * outDim, 0f);
            fp.accumulateTransposed(part.btRows(), h, t0 * r, z, 0, tb);     // B_l·h, B's columns added in order
            for (int t = 0; t < tb; t++) {
                VeraKernels.addScaledProduct(weight, lb, part.offset(), z, t * outDim, y, yOff + (t0 + t) * outDim, outDim);
            }
        }
    }
}
