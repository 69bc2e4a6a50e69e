package dev.vera4j.vera;

import dev.vera4j.engine.model.LinearSite;
import dev.vera4j.simd.FloatRows;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An adapter made ready for one base model: the shared {@code A}, and per adapted layer its {@code λ_d}, its
 * {@code λ_b} and the rows of {@code B} it uses, both in the base's row order (q/k rows of a {@code llama} GGUF moved
 * by {@link QkPermutation}). Immutable, so one instance serves any number of sessions ({@link VeraAdapter} adds the
 * per-session scratch) and {@link dev.vera4j.vera.merge.Merger}.
 *
 * <p>The engine calls its hooks per {@link LinearSite}; {@link #part} says which adapted layer's rows a site is. Most
 * sites are a whole layer. Phi-3's fused modules are several sites: {@code qkv_proj}'s λ_b and B rows
 * {@code [0, q)} are the q site, {@code [q, q + kv)} the k site, the rest the v site ({@code gate_up_proj}: gate, then
 * up), all sharing the module's λ_d and {@code A·x} — exactly PEFT's update of the fused module, row by row.
 *
 * <pre>{@code
 * AdapterFile file = AdapterFile.read(Path.of("adapter.gguf"));
 * AdapterWeights w = AdapterWeights.prepare(file, BaseFingerprint.of(modelPath), "adapter.gguf", false);
 * session.addHook(new VeraAdapter(w, session.batchSize(), 1f));
 * }</pre>
 */
public final class AdapterWeights {
    /**
     * One adapted layer, in the base's row order.
     *
     * @param in      input width (columns of W)
     * @param out     output width (rows of W)
     * @param lambdaB {@code out} scales
     * @param lambdaD {@code rank} scales
     * @param bt      {@code B_l} transposed: {@code B_l[o][i]} at {@code bt[i * btStride + o]}, so that {@code B_l·h}
     *                is a sum of {@code rank} contiguous rows scaled by {@code h[i]} (no horizontal reductions)
     * @param btStride distance between rows of {@code bt} (at least {@code out})
     * @param aRows   {@code A_l}: the first {@code in} columns of the shared A, as a matrix view
     * @param btRows  {@code bt} as a {@code rank × out} matrix view
     */
    public record Site(int in, int out, float[] lambdaB, float[] lambdaD, float[] bt, int btStride, FloatRows aRows, FloatRows btRows) {
        /** {@code B_l[o][i]}. */
        public float b(int o, int i) { return bt[i * btStride + o]; }
    }

    /**
     * The rows of an adapted layer that one engine site is: {@code λ_b[offset .. offset + out)} and those rows of B
     * ({@code btRows}, a {@code rank × out} view), with the layer's λ_d and A.
     */
    public record Part(VeraSite key, Site site, int offset, int out, FloatRows btRows) {}

    private final AdapterFile file;
    private final int rank;
    private final int aStride;
    private final float[] a;
    private final Map<VeraSite, Site> sites;
    /** Per layer and engine kind: the part, or for expert kinds a part per expert (null where not adapted). */
    private final Part[][][] parts;

    private AdapterWeights(AdapterFile file, Projections p, Map<VeraSite, Site> sites, Part[][][] parts) {
        this.file = file;
        this.rank = p.rank();
        this.aStride = p.inMax();
        this.a = p.a();
        this.sites = sites;
        this.parts = parts;
    }

    /**
     * Checks that {@code base} is the model the adapter was made for, regenerates (or takes the stored) projections and
     * puts q/k output rows into the base's order.
     *
     * @param name       names the adapter in error messages
     * @param ignoreHash accept a base of the right shape whose fingerprint differs
     * @throws IllegalArgumentException if the adapter does not fit {@code base}
     */
    public static AdapterWeights prepare(AdapterFile file, BaseFingerprint base, String name, boolean ignoreHash) {
        file.base().requireSameModel(base, name, ignoreHash);
        return prepare(file, base, PreparedProjections.of(file.resolveProjections()));
    }

    /**
     * As {@link #prepare(AdapterFile, BaseFingerprint, String, boolean)}, with projections prepared before (shared
     * with other adapters of the same seed, rank and sizes), so that only the λ vectors are this adapter's own.
     *
     * @throws IllegalArgumentException if the adapter does not fit {@code base}, or {@code shared} is not its projections
     */
    public static AdapterWeights prepare(AdapterFile file, BaseFingerprint base, String name, boolean ignoreHash, PreparedProjections shared) {
        file.base().requireSameModel(base, name, ignoreHash);
        Projections p = shared.projections();
        if (p.rank() != file.config().rank() || p.inMax() != file.inMax() || p.outMax() != file.outMax()
                || (file.projections().isPresent() && !file.projections().get().equals(p))) {
            throw new IllegalArgumentException("adapter " + name + " does not use the projections " + p);
        }
        return prepare(file, base, shared);
    }

    private static AdapterWeights prepare(AdapterFile file, BaseFingerprint base, PreparedProjections shared) {
        Projections p = shared.projections();
        boolean permute = QkPermutation.appliesTo(base.architecture());
        Map<VeraSite, Site> sites = new HashMap<>();
        Part[][][] parts = new Part[base.blockCount()][LinearSite.Kind.values().length][];
        for (Map.Entry<VeraSite, VeraLambdas> e : file.lambdas().entrySet()) {
            VeraSite key = e.getKey();
            VeraTarget t = key.target();
            VeraLambdas l = e.getValue();
            int in = base.inputs(t), out = base.outputs(t);
            float[] lb = l.lambdaB(), siteBt = shared.bt();
            int stride = p.outMax();
            if (permute && (t == VeraTarget.Q || t == VeraTarget.K)) {
                lb = QkPermutation.toGguf(lb, base.headDim());
                siteBt = shared.permutedBt(out, base.headDim());
                stride = out;
            }
            Site site = new Site(in, out, lb.clone(), l.lambdaD().clone(), siteBt, stride,
                    new FloatRows(shared.a(), 0, p.inMax(), p.rank(), in), new FloatRows(siteBt, 0, stride, p.rank(), out));
            sites.put(key, site);
            int offset = 0;
            for (LinearSite.Kind k : t.kinds()) {
                int rows = partRows(base, k, t);
                Part part = new Part(key, site, offset, rows, new FloatRows(siteBt, offset, stride, p.rank(), rows));
                Part[][] layer = parts[key.layer()];
                if (layer[k.ordinal()] == null) layer[k.ordinal()] = new Part[base.sitesPerLayer(t)];
                layer[k.ordinal()][Math.max(0, key.expert())] = part;
                offset += rows;
            }
        }
        return new AdapterWeights(file, p, sites, parts);
    }

    /** Rows of engine site {@code kind} within target {@code t}'s output. */
    private static int partRows(BaseFingerprint base, LinearSite.Kind kind, VeraTarget t) {
        List<LinearSite.Kind> kinds = t.kinds();
        if (kinds.size() == 1) return base.outputs(t);
        return switch (kind) {
            case Q -> base.headCount() * base.headDim();
            case K, V -> base.headCountKv() * base.headDim();
            case GATE, UP -> base.outputs(t) / 2;
            default -> throw new IllegalStateException(kind + " in " + t);
        };
    }

    /** Heap bytes of this adapter's own vectors (the projections, often shared, not included). */
    public long lambdaBytes() {
        long floats = 0;
        for (Site s : sites.values()) floats += s.lambdaB().length + s.lambdaD().length;
        return 4 * floats;
    }

    /** The widest adapted output: what a per-token scratch for {@code B·h} needs. */
    public int maxOut() {
        int m = 0;
        for (Site s : sites.values()) m = Math.max(m, s.out());
        return m;
    }

    /** The adapter this was prepared from. */
    public AdapterFile file() { return file; }

    /** r. */
    public int rank() { return rank; }

    /** The shared A, {@code rank x aStride()} row-major; read-only. */
    public float[] a() { return a; }

    /** Distance between rows of {@link #a()}: in_max. */
    public int aStride() { return aStride; }

    /** Layers of the base. */
    public int blockCount() { return parts.length; }

    /** The adapted layer at {@code (layer, target)} (not an expert's), or {@code null} when it is not adapted. */
    public Site site(int layer, VeraTarget target) { return sites.get(new VeraSite(layer, target)); }

    /** The adapted layer at {@code key}, or {@code null} when it is not adapted. */
    public Site site(VeraSite key) { return sites.get(key); }

    /** Every adapted layer's part of the engine's {@code site}, or {@code null} when it is not adapted. */
    public Part part(LinearSite site) {
        if (site.layer() < 0 || site.layer() >= parts.length) return null;
        Part[] p = parts[site.layer()][site.kind().ordinal()];
        return p == null ? null : p[Math.max(0, site.expert())];
    }
}
