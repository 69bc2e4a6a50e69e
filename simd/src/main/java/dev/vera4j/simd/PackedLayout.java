package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A kernel's layout of one weight type: the same bytes as the GGUF rows, in the order that type's one-token kernel
 * reads fastest. {@link Weights#pack} makes the copy at load time; every product of the matrix then reads the copy
 * (products of several tokens put rows back together with {@link #unpackRow}), so the mapping's pages can leave memory.
 *
 * <pre>{@code
 * PackedLayout layout = KernelTable.of(GgmlType.Q6_K).layout();
 * MemorySegment copy = layout.pack(w, arena, pool);
 * layout.unpackRow(copy, 7, w.cols(), rowScratch);   // row 7's GGUF bytes again
 * }</pre>
 */
interface PackedLayout {
    GgmlType type();

    /** Whether {@code w} can be packed: its type, {@link #acceptsShape its shape}, and where the layout needs it, its values. */
    boolean accepts(Weights w);

    /** Whether a matrix of this shape can have a copy in this layout (e.g. whole groups of rows). */
    default boolean acceptsShape(int rows, int cols) { return true; }

    /** The packed copy of {@code w} (as many bytes as its rows), allocated in {@code arena} and written by {@code pool}. */
    MemorySegment pack(Weights w, Arena arena, WorkerPool pool);

    /** Writes row {@code row}'s GGUF bytes ({@code type().bytesFor(cols)}) from a packed copy into {@code out}. */
    void unpackRow(MemorySegment packed, int row, int cols, MemorySegment out);

    /**
     * Decodes row {@code row} of a packed copy into the floats {@code out[o .. o + cols)}, in natural order or, when
     * {@link #transposedRuns()}, with each run of 256 values transposed as a 16 × 16 matrix (value {@code 16i + j} of
     * a run at float {@code 16j + i}; see {@link KOrder#transposeRuns}). {@code scratch} holds at least one GGUF row.
     */
    void decodeRow(MemorySegment packed, int row, int cols, float[] out, int o, MemorySegment scratch);

    /**
     * Whether {@link #decodeRow} writes each run of 256 values transposed: the packed 256-value layouts decode fastest
     * that way (a sub-block per vector lane), and a product with many tokens transposes the activations to match.
     */
    default boolean transposedRuns() { return false; }

    /**
     * Rows per group when the layout keeps rows in groups that decode column by column ({@link #decodeGroup}), so that
     * products of many tokens can hold rows in vector lanes ({@link RowLanesJob}); 0 when it does not.
     */
    default int rowGroup() { return 0; }

    /**
     * Decodes columns {@code [k0, k0+kc)} of row group {@code group} ({@link #rowGroup} rows) column by column: the
     * value of row {@code r}, column {@code k0 + k} at {@code out[o + k·stride + r]}.
     */
    default void decodeGroup(MemorySegment packed, int group, int cols, int k0, int kc, float[] out, int o, int stride) {
        throw new UnsupportedOperationException(type() + " rows do not come in groups");
    }

    /** A job of one-token products that reads copies in this layout. */
    Int8Job newJob();

    /**
     * A job of products of several tokens (a batched decode step) against int8 activations, one token after another
     * in {@link Int8Activations}, that reads each part of the copy once for all tokens; null when the layout has none.
     */
    default Int8Job newTokensJob() { return null; }

    /**
     * The most tokens a product sends to {@link #newTokensJob}; more go through the panel GEMM. The runs of 256 values
     * take {@link Tuning#RUN_INT8_MAX_TOKENS}; Q4_K, Q5_K, Q6_K and IQ4_XS, whose kernels unpack a run once for several
     * tokens, {@link Tuning#INT8_MAX_TOKENS} (for products over several sequences; one sequence's prompt keeps
     * {@link Tuning#RUN_INT8_MAX_TOKENS}, see {@link MatMul#severalSequences}).
     */
    default int maxTokens() { return Tuning.RUN_INT8_MAX_TOKENS; }

    /**
     * Whether {@link #newTokensJob}'s products of two or more tokens run a kernel of their own ({@link RunLayout#dots})
     * rather than the one-token kernel once per token. {@link MatMul} then sends it only products over several sequences
     * (see {@link MatMul#severalSequences}).
     */
    default boolean tokensKernel() { return false; }
}
