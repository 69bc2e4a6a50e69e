package dev.vera4j.vera;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The shared VeRA matrices in the layouts {@link AdapterWeights} reads: {@code A} as generated, {@code B} transposed,
 * and for q/k of {@code llama} bases {@code B}'s rows moved into the GGUF order ({@link QkPermutation}), made once per
 * output width on first use. Immutable once made and safe to share between threads, so every adapter with the same
 * seed, rank, sizes and rounding (most adapters of one base) can use one instance: {@link AdapterCache} does.
 *
 * <pre>{@code
 * PreparedProjections shared = PreparedProjections.of(file.resolveProjections());
 * AdapterWeights a = AdapterWeights.prepare(fileA, base, "a.gguf", false, shared);
 * AdapterWeights b = AdapterWeights.prepare(fileB, base, "b.gguf", false, shared);   // same A and B arrays
 * }</pre>
 */
public final class PreparedProjections {
    private final Projections projections;
    private final float[] bt;
    private final ConcurrentHashMap<Long, float[]> permuted = new ConcurrentHashMap<>();

    private PreparedProjections(Projections projections) {
        this.projections = projections;
        this.bt = transpose(projections.b(), projections.outMax(), projections.rank());
    }

    public static PreparedProjections of(Projections projections) { return new PreparedProjections(projections); }

    public Projections projections() { return projections; }

    public int rank() { return projections.rank(); }

    /** {@code A}, {@code rank x inMax} row-major; read-only. */
    float[] a() { return projections.a(); }

    /** {@code B} transposed: {@code rank x outMax} row-major; read-only. */
    float[] bt() { return bt; }

    /** {@code B}'s first {@code out} rows in GGUF q/k order, transposed: {@code rank x out}; read-only. */
    float[] permutedBt(int out, int headDim) {
        return permuted.computeIfAbsent(((long) out << 32) | headDim, k -> transpose(
                QkPermutation.rowsToGguf(projections.b(), out, projections.rank(), headDim), out, projections.rank()));
    }

    /** Heap bytes of the matrices made so far. */
    public long bytes() {
        long floats = projections.a().length + (long) projections.b().length + bt.length;
        for (float[] p : permuted.values()) floats += p.length;
        return 4 * floats;
    }

    private static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[rows * cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
        return t;
    }
}
