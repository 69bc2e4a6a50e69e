package dev.vera4j.cuda;

import dev.vera4j.engine.model.LinearSite;

/**
 * One adapted projection of a VeRA adapter, as the host arrays the CPU adapter uses ({@code vera}'s
 * {@code AdapterWeights.Site}), for {@link DeviceVeraAdapter#upload}: {@code Δy = weight·λ_b ⊙ (B·(λ_d ⊙ (A·x)))}.
 * The {@code cuda} module does not depend on {@code vera}; the caller copies the references across.
 *
 * <pre>{@code
 * AdapterWeights.Site s = adapter.site(layer, VeraTarget.Q);
 * new VeraSiteWeights(new LinearSite(layer, LinearSite.Kind.Q), s.in(), s.out(), s.lambdaB(), s.lambdaD(),
 *         adapter.a(), adapter.aStride(), s.bt(), s.btStride());
 * }</pre>
 *
 * @param in       columns of the projection (A's columns used)
 * @param out      rows of the projection
 * @param lambdaB  {@code out} scales
 * @param lambdaD  {@code rank} scales (the rank is their count)
 * @param a        the shared A, {@code rank} rows {@code aStride} apart; the site reads the first {@code in} columns
 * @param bt       B transposed: {@code B[o][i]} at {@code bt[i·btStride + o]}
 */
public record VeraSiteWeights(LinearSite site, int in, int out, float[] lambdaB, float[] lambdaD, float[] a, int aStride,
                              float[] bt, int btStride) {
    public VeraSiteWeights {
        int rank = lambdaD.length;
        if (site.kind().compareTo(LinearSite.Kind.DOWN) > 0) {
            throw new IllegalArgumentException("VeRA on the GPU adapts q, k, v, o, gate, up and down, not " + site);
        }
        if (lambdaB.length != out) throw new IllegalArgumentException(site + ": " + lambdaB.length + " λ_b for " + out + " outputs");
        if (in > aStride || (long) rank * aStride > a.length) throw new IllegalArgumentException(site + ": A of " + a.length + " floats is not " + rank + " rows of " + aStride + " >= " + in);
        if (out > btStride || (long) rank * btStride > bt.length) throw new IllegalArgumentException(site + ": Bᵀ of " + bt.length + " floats is not " + rank + " rows of " + btStride + " >= " + out);
    }

    public int rank() { return lambdaD.length; }
}
