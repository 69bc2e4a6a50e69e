package dev.vera4j.cuda;

import dev.vera4j.gguf.GgmlType;

/**
 * A weight matrix in device memory: row {@code r} at {@code address + r·rowBytes}, {@code cols} values encoded in
 * {@code type} (a {@link DeviceTypes native} type). {@code rowBytes} may exceed a row's encoded size, as for VeRA's A,
 * whose sites read the first {@code in} columns of rows {@code inMax} wide.
 *
 * <pre>{@code
 * DeviceMatrix w = new DeviceMatrix(buffer.address(), GgmlType.Q4_0, 2048, 2048, GgmlType.Q4_0.bytesFor(2048));
 * kernels.product(w, x, y, n);
 * }</pre>
 */
public record DeviceMatrix(long address, GgmlType type, int rows, int cols, long rowBytes) {
    public DeviceMatrix {
        if (rows < 0 || cols < 0) throw new IllegalArgumentException("matrix of " + rows + " x " + cols);
        if (!DeviceTypes.isNative(type)) throw new IllegalArgumentException(type + " has no device kernels; convert it first");
        if (rowBytes < type.bytesFor(cols)) throw new IllegalArgumentException("rows of " + rowBytes + " bytes cannot hold " + cols + " " + type + " values");
    }

    /** A matrix of whole consecutive rows. */
    public static DeviceMatrix dense(long address, GgmlType type, int rows, int cols) {
        return new DeviceMatrix(address, type, rows, cols, type.bytesFor(cols));
    }

    /** Bytes the rows occupy. */
    public long bytes() { return rowBytes * rows; }
}
