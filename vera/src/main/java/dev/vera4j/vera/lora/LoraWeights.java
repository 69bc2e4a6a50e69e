package dev.vera4j.vera.lora;

import dev.vera4j.engine.model.LinearSite;
import dev.vera4j.simd.FloatRows;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.VeraSite;
import dev.vera4j.vera.VeraTarget;
import java.util.List;

/**
 * A LoRA adapter made ready for one base model: checked against it ({@link LoraFile#requireFits}), each layer's
 * {@code B} transposed once, and each engine {@link LinearSite} mapped to the rows of its adapted layer (Phi-3's fused
 * {@code attn_qkv} is the q, k and v sites, {@code ffn_up} gate then up). Immutable: one instance serves any number of
 * sessions ({@link LoraHook} holds the per-session scratch) and the merger.
 *
 * <pre>{@code
 * LoraWeights w = LoraWeights.prepare(LoraFile.read(path), BaseFingerprint.of(modelPath), path.toString(), false);
 * session.addHook(new LoraHook(w, session.batchSize(), 1f, model.pool()));
 * }</pre>
 */
public final class LoraWeights {
    /**
     * The rows {@code [offset, offset + rows)} of an adapted layer that one engine site is.
     *
     * @param aRows  {@code A} as a {@code rank × in} view
     * @param btRows those rows of {@code B}, transposed: a {@code rank × rows} view
     */
    public record Part(LoraMatrices layer, int offset, int rows, FloatRows aRows, FloatRows btRows) {}

    private final LoraFile file;
    private final Part[][] parts;
    private final int maxRank, maxOut;

    private LoraWeights(LoraFile file, Part[][] parts, int maxRank, int maxOut) {
        this.file = file;
        this.parts = parts;
        this.maxRank = maxRank;
        this.maxOut = maxOut;
    }

    /**
     * Checks {@code file} against {@code base} and prepares it.
     *
     * @param name       names the adapter in error messages
     * @param ignoreHash accept a base of the right shape whose recorded fingerprint differs
     * @throws IllegalArgumentException if the adapter does not fit {@code base}
     */
    public static LoraWeights prepare(LoraFile file, BaseFingerprint base, String name, boolean ignoreHash) {
        file.requireFits(base, name, ignoreHash);
        Part[][] parts = new Part[base.blockCount()][LinearSite.Kind.values().length];
        int maxRank = 0, maxOut = 0;
        for (LoraMatrices m : file.sites().values()) {
            VeraSite s = m.site();
            float[] bt = m.bTransposed();
            FloatRows a = new FloatRows(m.a(), 0, m.in(), m.rank(), m.in());
            int offset = 0;
            for (LinearSite.Kind k : s.target().kinds()) {
                int rows = partRows(base, k, s.target());
                parts[s.layer()][k.ordinal()] = new Part(m, offset, rows, a, new FloatRows(bt, offset, m.out(), m.rank(), rows));
                offset += rows;
            }
            maxRank = Math.max(maxRank, m.rank());
            maxOut = Math.max(maxOut, m.out());
        }
        return new LoraWeights(file, parts, maxRank, maxOut);
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

    /** The adapter this was prepared from. */
    public LoraFile file() { return file; }

    /** The adapted rows of engine {@code site}, or {@code null} when it is not adapted. */
    public Part part(LinearSite site) {
        if (site.layer() < 0 || site.layer() >= parts.length || site.kind().expert()) return null;
        return parts[site.layer()][site.kind().ordinal()];
    }

    /** The adapted rows of site {@code kind} (not an expert's) of block {@code layer}, or {@code null}; allocates nothing. */
    public Part part(int layer, LinearSite.Kind kind) {
        if (layer < 0 || layer >= parts.length || kind.expert()) return null;
        return parts[layer][kind.ordinal()];
    }

    /** The largest rank of any layer. */
    public int maxRank() { return maxRank; }

    /** The widest adapted output. */
    public int maxOut() { return maxOut; }
}
