package dev.vera4j.simd;

/**
 * A row-major float matrix inside a heap array: row {@code r} is {@code data[offset + r·stride ..]}, of which the
 * first {@code cols} values belong to the matrix (so a matrix can use the left columns of a wider one).
 *
 * <pre>{@code
 * var a = new FloatRows(aData, 0, inMax, rank, in);   // A_l = the first `in` columns of the shared A
 * }</pre>
 */
public record FloatRows(float[] data, int offset, int stride, int rows, int cols) {
    public FloatRows {
        if (rows < 0 || cols < 0 || offset < 0 || stride < cols) {
            throw new IllegalArgumentException("bad float matrix view: " + rows + "x" + cols + " at " + offset + " with stride " + stride);
        }
        if (rows > 0 && (long) offset + (long) (rows - 1) * stride + cols > data.length) {
            throw new IllegalArgumentException(rows + "x" + cols + " rows with stride " + stride + " at " + offset
                    + " do not fit in " + data.length + " floats");
        }
    }
}
