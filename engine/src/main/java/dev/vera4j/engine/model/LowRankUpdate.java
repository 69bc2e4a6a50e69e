package dev.vera4j.engine.model;

import dev.vera4j.simd.FloatRows;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@link LinearHook}'s update written as data instead of code, so that a backend on another device can upload it
 * and compute it there, next to its own products: at each term's site,
 * {@code Δy = scale · λ_b ⊙ (B · (λ_d ⊙ (A · x)))} for every token {@code x}, summed over the terms of that site.
 * VeRA is this form with one {@code A} and one {@code B} shared by all sites (each site uses the top-left
 * {@code rank × in} and {@code out × rank} of them) and trained {@code λ} vectors per site; LoRA is it with
 * {@code λ_d} and {@code λ_b} of ones and an {@code A}, {@code B} per site.
 *
 * <p>{@code A} and {@code B} are views into float arrays that many terms share: a device backend uploads each
 * distinct array once (by identity, e.g. once per VeRA seed, rank and shape) and each term's {@code λ} vectors, and
 * keeps them for as long as the hook is in use; the arrays must not change meanwhile. The CPU backend ignores this
 * description and calls {@link LinearHook#addDelta}, which must add the same {@code Δy}.
 *
 * <pre>{@code
 * // what VeraAdapter.lowRank() returns for an adapter on q of layer 3, at weight 0.8:
 * new LowRankUpdate(List.of(new LowRankUpdate.Term(new LinearSite(3, LinearSite.Kind.Q), 0.8f,
 *         aRows, btRows, lambdaD, lambdaB)));
 * }</pre>
 *
 * @param terms every adapted site's term, in any order; a site may have several (adapters applied together)
 */
public record LowRankUpdate(List<Term> terms) {
    public LowRankUpdate {
        terms = List.copyOf(terms);
    }

    /**
     * One site's {@code scale · λ_b ⊙ (B · (λ_d ⊙ (A · x)))}.
     *
     * @param a       {@code A}: {@code rank} rows of the projection's input width ({@code in} columns)
     * @param bt      {@code B} transposed: {@code rank} rows of the projection's output width ({@code out} columns),
     *                so that {@code B·h} is a sum of rows scaled by {@code h}
     * @param lambdaD {@code rank} scales
     * @param lambdaB {@code out} scales
     */
    public record Term(LinearSite site, float scale, FloatRows a, FloatRows bt, float[] lambdaD, float[] lambdaB) {
        public Term {
            if (site == null || a == null || bt == null || lambdaD == null || lambdaB == null) throw new IllegalArgumentException("a term needs all its parts");
            if (a.rows() != bt.rows() || lambdaD.length != a.rows() || lambdaB.length != bt.cols()) {
                throw new IllegalArgumentException("term at " + site + ": A " + a.rows() + "x" + a.cols() + ", Bᵀ " + bt.rows() + "x"
                        + bt.cols() + ", λ_d " + lambdaD.length + ", λ_b " + lambdaB.length + " do not fit together");
            }
        }

        public int rank() { return a.rows(); }

        /** The projection's input width. */
        public int in() { return a.cols(); }

        /** The projection's output width. */
        public int out() { return bt.cols(); }
    }

    /** The terms of both updates: hooks applied together add their {@code Δy}. */
    public LowRankUpdate plus(LowRankUpdate other) {
        List<Term> all = new ArrayList<>(terms);
        all.addAll(other.terms);
        return new LowRankUpdate(all);
    }
}
