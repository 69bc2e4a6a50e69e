package dev.vera4j.vera;

import java.util.Comparator;

/**
 * One adapted linear layer: block index, which projection in it, and for an expert target which expert. Ordered by
 * layer, then target, then expert.
 *
 * <pre>{@code
 * new VeraSite(0, VeraTarget.Q)              // model.layers.0.self_attn.q_proj
 * new VeraSite(2, VeraTarget.DOWN_EXP, 5)    // model.layers.2.mlp.experts.5.down_proj
 * }</pre>
 *
 * @param expert the expert of an expert target, else -1
 */
public record VeraSite(int layer, VeraTarget target, int expert) implements Comparable<VeraSite> {
    private static final Comparator<VeraSite> ORDER =
            Comparator.comparingInt(VeraSite::layer).thenComparing(VeraSite::target).thenComparingInt(VeraSite::expert);

    public VeraSite {
        if (layer < 0) {
            throw new IllegalArgumentException("layer index must be non-negative, got " + layer);
        }
        if (target == null) {
            throw new IllegalArgumentException("target must not be null");
        }
        if (target.expert() ? expert < 0 : expert != -1) {
            throw new IllegalArgumentException(target.shortName() + " with expert index " + expert);
        }
    }

    /** A site of a target that is not an expert's. */
    public VeraSite(int layer, VeraTarget target) { this(layer, target, -1); }

    @Override
    public int compareTo(VeraSite other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return "layer " + layer + " " + target.shortName() + (expert >= 0 ? " " + expert : "");
    }
}
