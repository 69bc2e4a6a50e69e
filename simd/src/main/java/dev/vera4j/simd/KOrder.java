package dev.vera4j.simd;

/**
 * The order in which the kernels of the packed 256-value layouts ({@link PackedLayout}) meet a run of 256 values, and
 * in which {@link Int8Activations#k} holds the activations: eight vectors of 32 short lanes, {@code t = 0..7}, where
 * lane {@code l} of vector {@code t} is value
 * <pre>
 *   v(t, l) = 16·(l div 2) + 2t + (l mod 2)
 * </pre>
 * Why: adjacent lane pairs form the 16 int lanes, and int lane {@code i} of every vector holds two values of sub-block
 * {@code i} (values {@code 16i .. 16i+15}). So a kernel can add the eight vectors' 16-bit products lane by lane, add
 * adjacent lanes into ints, and be left with exactly one int per 16-value sub-block (two per 32-value sub-block): a
 * sub-block's scale multiplies one lane, and no lane sums are needed before the row's end. The order does not depend on
 * the weight type, so one copy of the activations serves every packed type; each layout stores its quants so that they
 * come out of its loads in this order.
 *
 * <pre>{@code
 * int p = KOrder.POSITION[17];   // value 17 of a run is lane p % 32 of vector p / 32
 * }</pre>
 */
final class KOrder {
    private KOrder() {}

    /** {@code SOURCE[32t + l] = v(t, l)}: the value at each position. */
    static final int[] SOURCE = new int[256];
    /** {@code POSITION[v]}: the position {@code 32t + l} of value {@code v}; the inverse of {@link #SOURCE}. */
    static final int[] POSITION = new int[256];

    static {
        for (int t = 0; t < 8; t++) {
            for (int l = 0; l < 32; l++) {
                int v = value(t, l);
                SOURCE[32 * t + l] = v;
                POSITION[v] = 32 * t + l;
            }
        }
    }

    /** Gather map of {@link #transposeRuns}: lane {@code i} reads value {@code 16i}. */
    private static final int[] COLUMN = java.util.stream.IntStream.range(0, 16).map(i -> 16 * i).toArray();

    /**
     * Writes {@code n} rows of {@code cols} floats (a multiple of 256) from {@code x[xo]} into {@code out[0 ..]} with
     * each run of 256 transposed as a 16 × 16 matrix: {@code out[256r + 16j + i] = x[256r + 16i + j]}, the order in
     * which the packed layouts decode their rows ({@link PackedLayout#transposedRuns}).
     */
    static void transposeRuns(float[] x, int xo, int n, int cols, float[] out) {
        for (int t = 0; t < n; t++) {
            for (int r = 0, base = t * cols; r < cols; r += 256) {
                for (int j = 0; j < 16; j++) {
                    jdk.incubator.vector.FloatVector.fromArray(jdk.incubator.vector.FloatVector.SPECIES_512, x, xo + base + r + j, COLUMN, 0)
                            .intoArray(out, base + r + 16 * j);
                }
            }
        }
    }

    /** Scalar reference of {@link #transposeRuns}. */
    static void transposeRunsReference(float[] x, int xo, int n, int cols, float[] out) {
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < cols; r += 256) {
                for (int i = 0; i < 16; i++) for (int j = 0; j < 16; j++) out[t * cols + r + 16 * j + i] = x[xo + t * cols + r + 16 * i + j];
            }
        }
    }

    /** The value held by lane {@code l} of vector {@code t}. */
    static int value(int t, int l) {
        return 16 * (l >> 1) + 2 * t + (l & 1);
    }
}
