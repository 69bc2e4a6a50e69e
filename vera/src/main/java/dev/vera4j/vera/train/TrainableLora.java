package dev.vera4j.vera.train;

import dev.vera4j.engine.model.LinearHook;
import dev.vera4j.engine.model.LinearSite;
import dev.vera4j.gguf.GgmlType;
import dev.vera4j.simd.FloatProducts;
import dev.vera4j.simd.FloatRows;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.VeraKernels;
import dev.vera4j.vera.VeraSite;
import dev.vera4j.vera.VeraTarget;
import dev.vera4j.vera.lora.LoraFile;
import dev.vera4j.vera.lora.LoraHook;
import dev.vera4j.vera.lora.LoraMatrices;
import dev.vera4j.vera.lora.LoraWeights;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A LoRA adapter being trained: per adapted layer its {@code A} ({@code r × in}) and {@code B} held transposed
 * ({@code r × out}, the layout {@link LoraHook} reads, so an optimizer step is seen by the next forward pass), their
 * gradients, and the backward pass of {@code Δy = scale·B(A·x)} (with {@link Dropout}, {@code x} is {@code drop(x)} in
 * both products and the {@code dx} term passes through the same mask):
 * {@code ∂L/∂B = scale·dy·(A·x)ᵀ}, {@code ∂L/∂A = scale·(Bᵀdy)·xᵀ}, {@code dx += scale·Aᵀ(Bᵀdy)}, summed over tokens in
 * order (no dependence on thread counts). {@link #fresh} initializes as PEFT does: {@code A} uniform in
 * {@code ±1/√in} (kaiming-uniform with a = √5), {@code B = 0}, so training starts from the unchanged model.
 *
 * <pre>{@code
 * TrainableLora p = TrainableLora.fresh(base, 8, 16f, EnumSet.of(VeraTarget.Q, VeraTarget.V), 0);
 * Trainer t = new Trainer(new Backward(backend, p, 256), p, train, valid, cfg, Path.of("style.lora.gguf"), null, "sig");
 * }</pre>
 */
public final class TrainableLora implements Trainable {
    private final LoraFile file;
    private final LoraWeights weights;
    private final List<LoraMatrices> layers = new ArrayList<>();
    /** Per layer: A, Bᵀ (live, the arrays the hook reads) and their gradients. */
    private final List<float[]> a = new ArrayList<>(), bt = new ArrayList<>(), gradA = new ArrayList<>(), gradBt = new ArrayList<>();
    /** Each layer's index in the lists (by identity: records of arrays compare slowly). */
    private final Map<LoraMatrices, Integer> indexOf = new IdentityHashMap<>();
    private final Dropout dropout;
    /** The widest input of an adapted layer. */
    private final int maxIn;

    private TrainableLora(LoraFile file, BaseFingerprint base, Dropout dropout) {
        this.file = file;
        this.dropout = dropout;
        this.weights = LoraWeights.prepare(file, base, "adapter", false);
        for (LoraMatrices m : file.sites().values()) {
            indexOf.put(m, layers.size());
            layers.add(m);
            LoraWeights.Part p = weights.part(new LinearSite(m.site().layer(), m.site().target().kinds().getFirst()));
            a.add(p.aRows().data());
            bt.add(p.btRows().data());
            gradA.add(new float[m.a().length]);
            gradBt.add(new float[m.b().length]);
        }
        maxIn = layers.stream().mapToInt(LoraMatrices::in).max().orElse(0);
    }

    /** Prepares {@code file} (made for {@code base}) for training, without dropout. */
    public static TrainableLora of(LoraFile file, BaseFingerprint base) { return new TrainableLora(file, base, new Dropout(0, 0)); }

    /**
     * Prepares {@code file} (made for {@code base}) for training with {@code dropout} on each adapted layer's input
     * (PEFT's {@code lora_dropout}): {@code Δy = scale·B(A·drop(x))}.
     */
    public static TrainableLora of(LoraFile file, BaseFingerprint base, Dropout dropout) { return new TrainableLora(file, base, dropout); }

    /**
     * A new adapter on {@code targets} of every block of {@code base}, with scale {@code alpha / rank}, {@code A}
     * drawn from {@code seed} and {@code B = 0}.
     */
    public static LoraFile fresh(BaseFingerprint base, int rank, float alpha, Set<VeraTarget> targets, long seed) {
        base.requireTargets(targets);
        if (rank < 1) throw new IllegalArgumentException("rank must be positive, got " + rank);
        SplittableRandom rng = new SplittableRandom(seed);
        TreeMap<VeraSite, LoraMatrices> sites = new TreeMap<>();
        for (int l = 0; l < base.blockCount(); l++) {
            for (VeraTarget t : targets) {
                if (t.expert()) throw new IllegalArgumentException("LoRA training on experts (" + t.shortName() + ") is not supported");
                int in = base.inputs(t), out = base.outputs(t);
                float[] av = new float[rank * in];
                double bound = 1 / Math.sqrt(in);
                for (int i = 0; i < av.length; i++) av[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
                VeraSite s = new VeraSite(l, t);
                sites.put(s, new LoraMatrices(s, rank, in, out, av, new float[out * rank], alpha / rank));
            }
        }
        return new LoraFile(base.architecture(), Optional.of(base), sites);
    }

    /** The weights the forward hook reads; they change with every optimizer step. */
    public LoraWeights weights() { return weights; }

    @Override
    public float[][] values() {
        float[][] v = new float[2 * layers.size()][];
        for (int i = 0; i < layers.size(); i++) {
            v[2 * i] = bt.get(i);
            v[2 * i + 1] = a.get(i);
        }
        return v;
    }

    @Override
    public float[][] grads() {
        float[][] g = new float[2 * layers.size()][];
        for (int i = 0; i < layers.size(); i++) {
            g[2 * i] = gradBt.get(i);
            g[2 * i + 1] = gradA.get(i);
        }
        return g;
    }

    @Override
    public boolean[] firstGroup() {
        boolean[] k = new boolean[2 * layers.size()];
        for (int i = 0; i < k.length; i += 2) k[i] = true;
        return k;
    }

    /** The gradient of layer {@code site}'s A ({@code r × in}) and of its B ({@code out × r}), for tests. */
    public float[][] gradients(VeraSite site) {
        for (int i = 0; i < layers.size(); i++) {
            LoraMatrices m = layers.get(i);
            if (!m.site().equals(site)) continue;
            float[] gb = new float[m.b().length], g = gradBt.get(i);
            for (int o = 0; o < m.out(); o++) for (int r = 0; r < m.rank(); r++) gb[o * m.rank() + r] = g[r * m.out() + o];
            return new float[][] {gradA.get(i).clone(), gb};
        }
        throw new IllegalArgumentException(site + " is not adapted");
    }

    @Override
    public Dropout dropout() { return dropout; }

    @Override
    public LinearHook newHook(int maxTokens, WorkerPool pool) {
        LoraHook hook = new LoraHook(weights, maxTokens, 1f, pool);
        return dropout.p() == 0 ? hook : new DroppingHook(hook, maxTokens);
    }

    @Override
    public SiteBackward newBackward(WorkerPool pool) { return new Gradients(pool); }

    /** The adapter with the current A and B. */
    public LoraFile toLoraFile() {
        TreeMap<VeraSite, LoraMatrices> out = new TreeMap<>();
        for (int i = 0; i < layers.size(); i++) {
            LoraMatrices m = layers.get(i);
            float[] b = new float[m.b().length], t = bt.get(i);
            for (int o = 0; o < m.out(); o++) for (int r = 0; r < m.rank(); r++) b[o * m.rank() + r] = t[r * m.out() + o];
            out.put(m.site(), new LoraMatrices(m.site(), m.rank(), m.in(), m.out(), a.get(i).clone(), b, m.scale()));
        }
        return new LoraFile(file.architecture(), file.base(), out);
    }

    @Override
    public void write(Path path) throws IOException { toLoraFile().write(path, GgmlType.F32, dropout.p()); }

    /**
     * The forward hook while training with dropout: the LoRA hook on {@code drop(x)}, each adapted layer's own mask
     * (a fused module's parts share one, as they share one PEFT layer). Has no {@link LinearHook#lowRank()} form: a
     * mask is not a low-rank update.
     */
    private final class DroppingHook implements LinearHook {
        private final LoraHook inner;
        private final int maxTokens;
        /** {@code drop(x)} of one call. */
        private final float[] xd;

        DroppingHook(LoraHook inner, int maxTokens) {
            this.inner = inner;
            this.maxTokens = maxTokens;
            this.xd = new float[Math.multiplyExact(maxTokens, maxIn)];
        }

        @Override
        public void addDelta(LinearSite site, float[] x, int xOff, float[] y, int yOff, int n, int inDim, int outDim) {
            LoraWeights.Part p = site.kind().expert() ? null : weights.part(site.layer(), site.kind());
            if (p == null || !dropout.active()) {
                inner.addDelta(site, x, xOff, y, yOff, n, inDim, outDim);
                return;
            }
            if (n > maxTokens || inDim != p.layer().in()) {   // the LoRA hook names the mismatch
                inner.addDelta(site, x, xOff, y, yOff, n, inDim, outDim);
                return;
            }
            VeraSite s = p.layer().site();
            dropout.apply(s.layer(), s.target().ordinal(), x, xOff, xd, 0, n, inDim);
            inner.addDelta(site, xd, 0, y, yOff, n, inDim, outDim);
        }
    }

    /** The backward pass over blocks of {@value SiteGradients#TOKENS} tokens; owns its scratch. */
    private final class Gradients implements SiteBackward {
        private final FloatProducts fp;
        /** Per block: {@code A·x} and {@code Bᵀ·dy}, each {@code TOKENS × rank}. */
        private final float[] u, g;
        /** Per block, with dropout: {@code drop(x)} and the adapter's input gradient before the mask, {@code TOKENS × in}. */
        private final float[] xd, dxd;

        Gradients(WorkerPool pool) {
            fp = new FloatProducts(pool);
            u = new float[SiteGradients.TOKENS * weights.maxRank()];
            g = new float[SiteGradients.TOKENS * weights.maxRank()];
            int drop = dropout.p() == 0 ? 0 : SiteGradients.TOKENS * maxIn;
            xd = new float[drop];
            dxd = new float[drop];
        }

        @Override
        public void backward(int layer, LinearSite.Kind kind, int expert, float[] x, float[] dy, float[] dx, int n, int in, int out) {
            LoraWeights.Part p = weights.part(layer, kind);
            if (p == null) return;
            int index = indexOf.get(p.layer());
            float[] ga = gradA.get(index), gbt = gradBt.get(index);
            LoraMatrices m = p.layer();
            int r = m.rank(), stride = m.out(), off = p.offset();
            float c = m.scale();
            FloatRows aRows = p.aRows(), btRows = p.btRows();
            boolean drop = dropout.active();
            int dl = m.site().layer(), dt = m.site().target().ordinal();
            for (int t0 = 0; t0 < n; t0 += SiteGradients.TOKENS) {
                int tb = Math.min(SiteGradients.TOKENS, n - t0);
                // the input the forward pass multiplied: x, or drop(x) drawn again with the same mask
                float[] xs = x;
                int xo = t0 * in;
                if (drop) {
                    dropout.apply(dl, dt, t0, x, t0 * in, xd, 0, tb, in);
                    xs = xd;
                    xo = 0;
                }
                fp.multiply(aRows, xs, xo, u, 0, tb);                // A·x
                fp.multiply(btRows, dy, t0 * out, g, 0, tb);         // Bᵀ·dy (this part's rows)
                for (int t = 0; t < tb; t++) {
                    for (int i = 0; i < r; i++) {
                        VeraKernels.axpy(c * u[t * r + i], dy, (t0 + t) * out, gbt, i * stride + off, out);   // ∂B
                        VeraKernels.axpy(c * g[t * r + i], xs, xo + t * in, ga, i * in, in);                  // ∂A
                        g[t * r + i] *= c;
                    }
                }
                if (drop) {   // dx += mask ⊙ scale·Aᵀ(Bᵀdy)
                    Arrays.fill(dxd, 0, tb * in, 0f);
                    fp.accumulateTransposed(aRows, g, 0, dxd, 0, tb);
                    dropout.apply(dl, dt, t0, dxd, 0, dxd, 0, tb, in);
                    VeraKernels.axpy(1f, dxd, 0, dx, t0 * in, tb * in);
                } else {
                    fp.accumulateTransposed(aRows, g, 0, dx, t0 * in, tb);   // dx += scale·Aᵀ(Bᵀdy)
                }
            }
        }
    }
}
