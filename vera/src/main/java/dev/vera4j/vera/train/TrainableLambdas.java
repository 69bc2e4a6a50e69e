package dev.vera4j.vera.train;

import dev.vera4j.engine.model.LinearHook;
import dev.vera4j.gguf.GgmlType;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.vera.VeraAdapter;
import java.io.IOException;
import java.nio.file.Path;

import dev.vera4j.engine.model.LinearSite;
import dev.vera4j.vera.AdapterFile;
import dev.vera4j.vera.AdapterWeights;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.QkPermutation;
import dev.vera4j.vera.VeraConfig;
import dev.vera4j.vera.VeraLambdas;
import dev.vera4j.vera.VeraSite;
import dev.vera4j.vera.VeraTarget;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The trainable vectors of an adapter and their gradients. The λ arrays are the live ones of the
 * {@link AdapterWeights} (base row order, what {@link dev.vera4j.vera.VeraAdapter} reads), so an optimizer step is
 * seen by the next forward pass without copying; {@link #toAdapterFile()} moves q/k rows back to Hugging Face order.
 *
 * <pre>{@code
 * TrainableLambdas p = TrainableLambdas.of(adapterFile, fingerprint);
 * p.zeroGrad();
 * // ... Backward.run(...) accumulates into p.site(i).gradB()/gradD()
 * AdapterFile trained = p.toAdapterFile();
 * }</pre>
 */
public final class TrainableLambdas implements Trainable {
    /** One adapted layer: its live λ's and gradient accumulators of the same shapes. */
    public record Site(VeraSite site, AdapterWeights.Site weights, float[] gradB, float[] gradD) {
        public float[] lambdaB() { return weights.lambdaB(); }

        public float[] lambdaD() { return weights.lambdaD(); }
    }

    /** The rows of an adapted layer that one engine site is ({@link AdapterWeights.Part}), with its gradients. */
    public record Part(Site site, AdapterWeights.Part rows) {}

    private final AdapterFile file;
    private final AdapterWeights weights;
    private final BaseFingerprint base;
    private final List<Site> sites;
    private final Map<VeraSite, Site> byKey = new java.util.HashMap<>();
    /** Per layer and engine kind (and expert): the part, or null where not adapted. */
    private final Part[][][] parts;

    private TrainableLambdas(AdapterFile file, AdapterWeights weights, BaseFingerprint base) {
        this.file = file;
        this.weights = weights;
        this.base = base;
        List<Site> list = new ArrayList<>();
        for (VeraSite s : file.lambdas().keySet()) {
            AdapterWeights.Site w = weights.site(s);
            Site t = new Site(s, w, new float[w.lambdaB().length], new float[w.lambdaD().length]);
            list.add(t);
            byKey.put(s, t);
        }
        parts = new Part[weights.blockCount()][LinearSite.Kind.values().length][];
        for (Site t : list) {
            VeraSite s = t.site();
            for (LinearSite.Kind k : s.target().kinds()) {
                Part[][] layer = parts[s.layer()];
                if (layer[k.ordinal()] == null) layer[k.ordinal()] = new Part[base.sitesPerLayer(s.target())];
                layer[k.ordinal()][Math.max(0, s.expert())] = new Part(t, weights.part(new LinearSite(s.layer(), k, s.expert())));
            }
        }
        this.sites = List.copyOf(list);
    }

    /** Prepares {@code file} for {@code base} (which must be the model it belongs to) for training. */
    public static TrainableLambdas of(AdapterFile file, BaseFingerprint base) {
        return new TrainableLambdas(file, AdapterWeights.prepare(file, base, "adapter", false), base);
    }

    /**
     * A new adapter for {@code base} as PEFT initializes one: every block's {@code config.targets()} with
     * {@code λ_b = 0} (so training starts from the unchanged model) and {@code λ_d = d_initial}.
     */
    public static AdapterFile freshAdapter(BaseFingerprint base, VeraConfig config) {
        int[] dims = base.projectionDims(config.targets());
        TreeMap<VeraSite, VeraLambdas> lambdas = new TreeMap<>();
        base.requireTargets(config.targets());
        for (int l = 0; l < base.blockCount(); l++) {
            if (!config.layers().isEmpty() && !config.layers().contains(l)) continue;
            for (VeraTarget t : config.targets()) {
                for (int e = 0; e < base.sitesPerLayer(t); e++) {
                    lambdas.put(new VeraSite(l, t, t.expert() ? e : -1), VeraLambdas.initial(base.outputs(t), config.rank(), config.dInitial()));
                }
            }
        }
        return new AdapterFile(config, dims[0], dims[1], base, lambdas, Optional.empty(), Optional.empty());
    }

    /** The weights a {@link dev.vera4j.vera.VeraAdapter} hook reads; they change with every optimizer step. */
    public AdapterWeights weights() { return weights; }

    public List<Site> sites() { return sites; }

    /** The site at {@code (layer, target)} (not an expert's), or {@code null} when it is not adapted. */
    public Site site(int layer, VeraTarget target) { return byKey.get(new VeraSite(layer, target)); }

    /** The site at {@code key}, or {@code null} when it is not adapted. */
    public Site site(VeraSite key) { return byKey.get(key); }

    /**
     * The adapted rows the engine's site {@code kind} of block {@code layer} (of expert {@code expert}, else -1) is, or
     * {@code null} when it is not adapted.
     */
    public Part part(int layer, LinearSite.Kind kind, int expert) {
        Part[] p = layer >= 0 && layer < parts.length ? parts[layer][kind.ordinal()] : null;
        return p == null ? null : p[Math.max(0, expert)];
    }


    @Override
    public float[][] values() { return arrays(true); }

    @Override
    public float[][] grads() { return arrays(false); }

    /** λ_b then λ_d per site, in site order (the checkpoint layout). */
    private float[][] arrays(boolean values) {
        float[][] out = new float[2 * sites.size()][];
        for (int i = 0; i < sites.size(); i++) {
            Site s = sites.get(i);
            out[2 * i] = values ? s.lambdaB() : s.gradB;
            out[2 * i + 1] = values ? s.lambdaD() : s.gradD;
        }
        return out;
    }

    @Override
    public boolean[] firstGroup() {
        boolean[] k = new boolean[2 * sites.size()];
        for (int i = 0; i < k.length; i += 2) k[i] = true;
        return k;
    }

    @Override
    public LinearHook newHook(int maxTokens, WorkerPool pool) { return new VeraAdapter(weights, maxTokens, 1f, pool); }

    @Override
    public SiteBackward newBackward(WorkerPool pool) {
        SiteGradients g = new SiteGradients(weights, pool);
        return (layer, kind, expert, x, dy, dx, n, in, out) -> g.backward(part(layer, kind, expert), x, dy, dx, n, in, out);
    }

    @Override
    public void write(Path path) throws IOException { toAdapterFile().write(path, GgmlType.F32); }

    /** The adapter with the current λ's, λ_b of q/k back in Hugging Face row order. */
    public AdapterFile toAdapterFile() {
        Map<VeraSite, VeraLambdas> out = new TreeMap<>();
        boolean permute = QkPermutation.appliesTo(base.architecture());
        for (Site s : sites) {
            float[] lb = s.lambdaB().clone();
            VeraTarget t = s.site.target();
            if (permute && (t == VeraTarget.Q || t == VeraTarget.K)) lb = QkPermutation.toHuggingFace(lb, base.headDim());
            out.put(s.site, new VeraLambdas(lb, s.lambdaD().clone()));
        }
        return new AdapterFile(file.config(), file.inMax(), file.outMax(), file.base(), new TreeMap<>(out),
                file.projections(), file.peft());
    }

    /** A gradient in Hugging Face row order (what PyTorch reports) for comparing with references. */
    public float[] gradBHuggingFace(Site s) {
        VeraTarget t = s.site.target();
        if (QkPermutation.appliesTo(base.architecture()) && (t == VeraTarget.Q || t == VeraTarget.K)) {
            return QkPermutation.toHuggingFace(s.gradB, base.headDim());
        }
        return s.gradB.clone();
    }
}
