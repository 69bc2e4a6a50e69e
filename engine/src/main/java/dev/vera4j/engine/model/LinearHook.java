package dev.vera4j.engine.model;

/**
 * Adds a correction to the output of linear projections: after {@code y = W·x} the transformer calls every registered
 * hook, which may add its {@code Δy} (an adapter's low-rank update, for instance) in place. Hooks see every site and
 * ignore the ones they do not adapt. Called on the forward thread; must not keep references to the arrays.
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
}
