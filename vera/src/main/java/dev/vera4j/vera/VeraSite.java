package dev.vera4j.vera;

import java.util.Comparator;

/**
 * One adapted linear layer: block index and which projection in it. Ordered by layer, then target.
 *
 * <pre>{@code
 * new VeraSite(0, VeraTarget.Q)   // model.layers.0.self_attn.q_proj
 * }</pre>
 */
public record VeraSite(int layer, VeraTarget target) implements Comparable<VeraSite> {
    private static final Comparator<VeraSite> ORDER =
            Comparator.comparingInt(VeraSite::layer).thenComparing(VeraSite::target);

    public VeraSite {
        if (layer < 0) {
            throw new IllegalArgumentException("layer index must be non-negative, got " + layer);
        }
        if (target == null) {
            throw new IllegalArgumentException("target must not be null");
        }
    }

    @Override
    public int compareTo(VeraSite other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return "layer " + layer + " " + target.shortName();
    }
}
