package dev.vera4j.engine.model;

/**
 * Adds a correction to the output of linear projections: after {@code y = W·x} the CPU backend calls every hook of the
 * sequence, which may add its {@code Δy} (an adapter's low-rank update, for instance) in place, for that sequence's
 * rows of the step. Hooks see every site and ignore the ones they do not adapt. Called on the forward thread; must not
 * keep references to the arrays.
 *
 * <p>A backend on another device cannot call code on its own memory; it asks the hook for {@link #lowRank()}, the
 * same update as data, and computes it there. A hook that has no such description runs only where it can be called
 * (on the CPU; a device backend refuses it, or copies the site's rows to the host and back).
 *
 * <pre>{@code
 * LinearHook scaleV = (site, x, xOff, y, yOff, n, in, out) -> {
 *     if (site.kind() != LinearSite.Kind.V) return;
 *     for (int t = 0; t < n; t++) for (int r = 0; r < out; r++) y[yOff + t * out + r] += 0.1f * x[xOff + t * in + r % in];
 * };
 * }</pre>
 */
@FunctionalInterface
public interface LinearHook {
    /**
     * Adds {@code Δy} for {@code n} tokens.
     *
     * @param x      the projection's inputs: token {@code t} is {@code x[xOff + t*inDim .. + inDim)}
     * @param y      its outputs {@code W·x}, to add to: token {@code t} is {@code y[yOff + t*outDim .. + outDim)}
     * @param inDim  columns of W
     * @param outDim rows of W
     */
    void addDelta(LinearSite site, float[] x, int xOff, float[] y, int yOff, int n, int inDim, int outDim);

    /**
     * This hook's update as data, for backends that compute it themselves on their device, or {@code null} when it
     * can only be called. It must describe exactly what {@link #addDelta} adds.
     */
    default LowRankUpdate lowRank() { return null; }
}
