package dev.vera4j.vera;

import dev.vera4j.simd.FloatRows;

import java.util.HashMap;
import java.util.Map;

/**
 * An adapter made ready for one base model: the shared {@code A}, and per adapted layer its {@code λ_d}, its
 * {@code λ_b} and the rows of {@code B} it uses, both in the base's row order (q/k rows of a {@code llama} GGUF moved
 * by {@link QkPermutation}). Immutable, so one instance serves any number of sessions ({@link VeraAdapter} adds the
 * per-session scratch) and {@link dev.vera4j.vera.merge.Merger}.
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

    private final AdapterFile file;
    private final int rank;
    private final int aStride;
    private final float[] a;
    private final Site[][] sites;

    private AdapterWeights(AdapterFile file, Projections p, Site[][] sites) {
        this.file = file;
        this.rank = p.rank();
        this.aStride = p.inMax();
        this.a = p.a();
        this.sites = sites;
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
        Projections p = file.resolveProjections();
        boolean permute = QkPermutation.appliesTo(base.architecture());
        float[] bt = transpose(p.b(), p.outMax(), p.rank());
        Map<Integer, float[]> permutedBt = new HashMap<>();
        Site[][] sites = new Site[base.blockCount()][VeraTarget.values().length];
        for (Map.Entry<VeraSite, VeraLambdas> e : file.lambdas().entrySet()) {
            VeraTarget t = e.getKey().target();
            VeraLambdas l = e.getValue();
            int in = base.inputs(t), out = base.outputs(t);
            float[] lb = l.lambdaB(), siteBt = bt;
            int stride = p.outMax();
            if (permute && (t == VeraTarget.Q || t == VeraTarget.K)) {
                lb = QkPermutation.toGguf(lb, base.headDim());
                siteBt = permutedBt.computeIfAbsent(out,
                        o -> transpose(QkPermutation.rowsToGguf(p.b(), o, p.rank(), base.headDim()), o, p.rank()));
                stride = out;
            }
            sites[e.getKey().layer()][t.ordinal()] = new Site(in, out, lb.clone(), l.lambdaD().clone(), siteBt, stride,
                    new FloatRows(p.a(), 0, p.inMax(), p.rank(), in), new FloatRows(siteBt, 0, stride, p.rank(), out));
        }
        return new AdapterWeights(file, p, sites);
    }

    private static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[rows * cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
        return t;
    }

    /** The widest adapted output: what a per-token scratch for {@code B·h} needs. */
    public int maxOut() {
        int m = 0;
        for (Site[] layer : sites) for (Site s : layer) if (s != null) m = Math.max(m, s.out());
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
    public int blockCount() { return sites.length; }

    /** The adapted layer at {@code (layer, target)}, or {@code null} when that layer is not adapted. */
    public Site site(int layer, VeraTarget target) {
        return layer >= 0 && layer < sites.length ? sites[layer][target.ordinal()] : null;
    }
}
