package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufTensor;

import java.lang.foreign.MemorySegment;

/**
 * A weight matrix as stored in GGUF: {@code rows} output features, each a contiguous run of {@code cols} values
 * encoded in {@code type} ({@code type.bytesFor(cols)} bytes per row). The data stays in the mapping.
 *
 * @param interleaved null, or the same matrix in {@link Q4Interleaved}'s layout (Q4_0 rows in groups of 16, off the
 *     heap), which {@link MatMul} reads instead of {@code data}; see {@link Q4Interleaved#interleave}
 */
public record Weights(MemorySegment data, GgmlType type, int rows, int cols, MemorySegment interleaved) {
    public Weights {
        if (cols % type.blockSize() != 0) throw new IllegalArgumentException(cols + " columns are not whole " + type + " blocks");
        if (data.byteSize() < (long) rows * type.bytesFor(cols)) {
            throw new IllegalArgumentException("weights of " + rows + "x" + cols + " " + type + " need " + (long) rows * type.bytesFor(cols) + " bytes, got " + data.byteSize());
        }
        if (interleaved != null && (type != GgmlType.Q4_0 || rows % 16 != 0 || interleaved.byteSize() < (long) rows * type.bytesFor(cols))) {
            throw new IllegalArgumentException("an interleaved copy needs Q4_0 rows in whole groups of 16, got " + rows + "x" + cols + " " + type);
        }
    }

    /** Weights read from {@code data} only. */
    public Weights(MemorySegment data, GgmlType type, int rows, int cols) {
        this(data, type, rows, cols, null);
    }

    /** A 2-D tensor of a GGUF file ({@code shape = {cols, rows}}). */
    public static Weights of(GgufTensor t) {
        if (t.rank() > 2) throw new IllegalArgumentException("tensor " + t.name() + " is not a matrix: " + t);
        return new Weights(t.data(), t.type(), t.rows(), t.cols());
    }

    /** Bytes per row. */
    public long rowBytes() { return type.bytesFor(cols); }
}
