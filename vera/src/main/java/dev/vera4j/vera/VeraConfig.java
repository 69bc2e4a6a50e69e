package dev.vera4j.vera;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.Collections;
import java.util.TreeSet;

/**
 * What defines a VeRA adapter apart from its trained vectors: the projection seed, the rank, the initial
 * {@code λ_d}, which linear layers are adapted and how the projections are rounded (see {@link Projections.Rounding}).
 *
 * <pre>{@code
 * var cfg = new VeraConfig(0, 256, 0.1f, EnumSet.of(VeraTarget.Q, VeraTarget.V), List.of(), true);
 * cfg.adapts(3, VeraTarget.Q)   // true: an empty layer list means every layer, as in PEFT
 * }</pre>
 *
 * @param seed             PEFT's {@code projection_prng_key}; only its low 32 bits matter, as in {@code manual_seed}
 * @param rank             r, the width of the shared projections
 * @param dInitial         the value every {@code λ_d} starts at (PEFT's {@code d_initial}, default 0.1)
 * @param targets          the adapted linear layers of each block (not empty)
 * @param layers           the adapted block indexes, ascending and distinct; empty means every block
 *                         (PEFT's {@code layers_to_transform})
 * @param fusedMultiplyAdd whether projections are regenerated as PyTorch's default (FMA) builds do
 */
public record VeraConfig(long seed, int rank, float dInitial, Set<VeraTarget> targets, List<Integer> layers,
                         boolean fusedMultiplyAdd) {
    /** PEFT's default rank. */
    public static final int DEFAULT_RANK = 256;
    /** PEFT's default {@code d_initial}. */
    public static final float DEFAULT_D_INITIAL = 0.1f;

    public VeraConfig {
        if (rank <= 0) {
            throw new IllegalArgumentException("VeRA rank must be positive, got " + rank);
        }
        if (!Float.isFinite(dInitial)) {
            throw new IllegalArgumentException("d_initial must be finite, got " + dInitial);
        }
        if (targets == null || targets.isEmpty()) {
            throw new IllegalArgumentException("a VeRA adapter needs at least one target module");
        }
        targets = Collections.unmodifiableSet(EnumSet.copyOf(targets));
        TreeSet<Integer> sorted = new TreeSet<>();
        for (Integer layer : layers) {
            if (layer == null || layer < 0) {
                throw new IllegalArgumentException("layer indexes must be non-negative, got " + layer);
            }
            if (!sorted.add(layer)) {
                throw new IllegalArgumentException("layer " + layer + " is listed twice");
            }
        }
        layers = List.copyOf(sorted);
    }

    /** PEFT's defaults for LLaMA ({@code r=256}, {@code d_initial=0.1}, {@code q_proj} and {@code v_proj}, every layer). */
    public static VeraConfig defaults(long seed) {
        return new VeraConfig(seed, DEFAULT_RANK, DEFAULT_D_INITIAL, EnumSet.of(VeraTarget.Q, VeraTarget.V),
                List.of(), true);
    }

    /** Whether block {@code layer}'s {@code target} carries λ vectors. */
    public boolean adapts(int layer, VeraTarget target) {
        return targets.contains(target) && (layers.isEmpty() || layers.contains(layer));
    }

    /** The same configuration with projections rounded the other way. */
    public VeraConfig withFusedMultiplyAdd(boolean fused) {
        return new VeraConfig(seed, rank, dInitial, targets, layers, fused);
    }
}
