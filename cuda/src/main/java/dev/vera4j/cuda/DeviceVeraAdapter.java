package dev.vera4j.cuda;

import dev.vera4j.engine.model.LinearSite;
import dev.vera4j.gguf.GgmlType;

import java.util.List;

/**
 * One VeRA adapter on the device: per adapted site its λ vectors, and views of the shared A and Bᵀ
 * ({@link DeviceVeraProjections}). {@link CudaForward} adds {@code weight·λ_b ⊙ (B·(λ_d ⊙ (A·x)))} after each adapted
 * projection, computing {@code A·x} once per adapter and input (q, k, v read one input, as gate and up do), as the
 * CPU's {@code VeraAdapter} does. Several adapters on one forward add their terms in the order they were added.
 * Freed by {@link #close} (the shared matrices stay with their owner).
 *
 * <pre>{@code
 * DeviceVeraAdapter a = DeviceVeraAdapter.upload(shared, 1f, config.blockCount(), sites);
 * forward.addAdapter(a);
 * }</pre>
 */
public final class DeviceVeraAdapter implements AutoCloseable {
    /** One adapted projection: {@code a} is A's first {@code in} columns (rank × in, F32), {@code bt} Bᵀ's address. */
    public record Site(int in, int out, DeviceMatrix a, long bt, int btStride, long lambdaB, long lambdaD) {}

    private static final int KINDS = LinearSite.Kind.values().length;

    private final DeviceArena arena;
    private final float weight;
    private final int rank;
    private final Site[][] sites;

    private DeviceVeraAdapter(DeviceArena arena, float weight, int rank, Site[][] sites) {
        this.arena = arena;
        this.weight = weight;
        this.rank = rank;
        this.sites = sites;
    }

    /**
     * Uploads the λ's of {@code sites} and, through {@code shared}, their A and Bᵀ.
     *
     * @param weight scales the adapter's term (1 as trained)
     * @param layers blocks of the base model
     * @throws IllegalArgumentException if the sites disagree on the rank, or a site's layer is out of range
     */
    public static DeviceVeraAdapter upload(DeviceVeraProjections shared, float weight, int layers, List<VeraSiteWeights> sites) {
        if (!Float.isFinite(weight)) throw new IllegalArgumentException("adapter weight must be finite, got " + weight);
        if (sites.isEmpty()) throw new IllegalArgumentException("an adapter without sites");
        int rank = sites.getFirst().rank();
        DeviceArena arena = new DeviceArena(shared.device());
        try {
            Site[][] table = new Site[layers][KINDS];
            for (VeraSiteWeights s : sites) {
                if (s.rank() != rank) throw new IllegalArgumentException(s.site() + " has rank " + s.rank() + ", other sites " + rank);
                int layer = s.site().layer();
                if (layer < 0 || layer >= layers) throw new IllegalArgumentException(s.site() + " is outside the model's " + layers + " layers");
                long a = shared.matrix(s.a()).address(), bt = shared.matrix(s.bt()).address();
                DeviceMatrix aView = new DeviceMatrix(a, GgmlType.F32, rank, s.in(), 4L * s.aStride());
                table[layer][s.site().kind().ordinal()] = new Site(s.in(), s.out(), aView, bt, s.btStride(),
                        arena.upload(s.lambdaB()).address(), arena.upload(s.lambdaD()).address());
            }
            return new DeviceVeraAdapter(arena, weight, rank, table);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public float weight() { return weight; }

    public int rank() { return rank; }

    public int layers() { return sites.length; }

    /** The site at {@code (layer, kind)}, or null when the adapter leaves that projection alone. */
    public Site site(int layer, LinearSite.Kind kind) { return sites[layer][kind.ordinal()]; }

    /** Device bytes of the λ's (the shared matrices are counted by their owner). */
    public long bytes() { return arena.bytes(); }

    @Override
    public void close() { arena.close(); }
}
