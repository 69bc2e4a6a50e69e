package dev.vera4j.gguf;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * One tensor of a GGUF file: name, element type, shape and its bytes as a read-only view of the mapping.
 *
 * <p>{@code shape[0]} is the innermost (fastest-varying) dimension, as in ggml: a weight matrix of {@code rows}
 * output features over {@code cols} inputs has {@code shape = {cols, rows}} and each row is
 * {@code type.bytesFor(cols)} contiguous bytes.
 *
 * @param offset offset of the data relative to the start of its file's data section, as stored in the file
 * @param data   the tensor's bytes; a slice of the mapped file, never a heap copy
 */
public record GgufTensor(String name, GgmlType type, long[] shape, long offset, MemorySegment data) {

    /** Total number of values. */
    public long elementCount() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** Size of {@link #data()} in bytes. */
    public long byteSize() { return data.byteSize(); }

    /** Number of dimensions. */
    public int rank() { return shape.length; }

    /** Length of dimension {@code i} (1 beyond the rank, like ggml). */
    public long dim(int i) { return i < shape.length ? shape[i] : 1; }

    /** Values per row: {@code shape[0]}. */
    public int cols() { return Math.toIntExact(dim(0)); }

    /** Rows: the product of all dimensions but the first. */
    public int rows() { return Math.toIntExact(elementCount() / Math.max(1, dim(0))); }

    @Override
    public String toString() { return name + " " + type + " " + Arrays.toString(shape); }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensor t && name.equals(t.name) && type == t.type && Arrays.equals(shape, t.shape) && offset == t.offset;
    }

    @Override
    public int hashCode() { return name.hashCode(); }
}
