package dev.vera4j.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A block of device memory ({@code cuMemAlloc}), freed by {@link #close}. Kernels take its {@link #address()} (plus a
 * byte offset, {@link #at}); copies go to and from native host memory, synchronously or on a stream.
 *
 * <pre>{@code
 * try (DeviceBuffer b = gpu.allocate(4L * n)) {
 *     b.upload(values, 0);                            // heap memory is staged through native memory
 *     kernels.add(b.address(), other.address(), n);
 *     float[] back = b.downloadFloats(0, n);
 * }
 * }</pre>
 */
public final class DeviceBuffer implements AutoCloseable {
    private final CudaDevice device;
    private final long address;
    private final long byteSize;
    private boolean closed;

    DeviceBuffer(CudaDevice device, long address, long byteSize) {
        this.device = device;
        this.address = address;
        this.byteSize = byteSize;
    }

    /** The device address of byte 0. */
    public long address() {
        checkOpen();
        return address;
    }

    /** The device address of byte {@code offset}, checked against the size. */
    public long at(long offset) {
        checkOpen();
        if (offset < 0 || offset > byteSize) throw new IndexOutOfBoundsException("offset " + offset + " in a buffer of " + byteSize + " bytes");
        return address + offset;
    }

    public long byteSize() { return byteSize; }

    public CudaDevice device() { return device; }

    /**
     * Copies all of {@code src} to byte {@code offset} of this buffer, on the legacy default stream: {@code src} may be
     * reused on return, and kernels queued afterwards on this device's streams see the data.
     */
    public void upload(MemorySegment src, long offset) {
        check(offset, src.byteSize());
        device.bind();
        if (src.isNative()) {
            device.driver().memcpyHtoD(address + offset, src, src.byteSize());
            return;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment staged = a.allocate(src.byteSize(), 16);
            staged.copyFrom(src);
            device.driver().memcpyHtoD(address + offset, staged, src.byteSize());
        }
    }

    /** Copies {@code dst.byteSize()} bytes from byte {@code offset} into {@code dst}, after the work queued before on this device's streams; returns when done. */
    public void download(long offset, MemorySegment dst) {
        check(offset, dst.byteSize());
        device.bind();
        if (dst.isNative()) {
            device.driver().memcpyDtoH(dst, address + offset, dst.byteSize());
            return;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment staged = a.allocate(dst.byteSize(), 16);
            device.driver().memcpyDtoH(staged, address + offset, dst.byteSize());
            dst.copyFrom(staged);
        }
    }

    /**
     * Queues a copy of the first {@code bytes} of {@code src} (native memory that must stay valid until the stream
     * gets there) to byte {@code offset} of this buffer.
     */
    public void uploadAsync(CudaStream stream, MemorySegment src, long offset, long bytes) {
        check(offset, bytes);
        requireNative(src, bytes);
        device.driver().memcpyHtoDAsync(address + offset, src, bytes, stream.handle());
    }

    /** Queues a copy of {@code bytes} from byte {@code offset} into native {@code dst}, to read after the stream is synchronized. */
    public void downloadAsync(CudaStream stream, long offset, MemorySegment dst, long bytes) {
        check(offset, bytes);
        requireNative(dst, bytes);
        device.driver().memcpyDtoHAsync(dst, address + offset, bytes, stream.handle());
    }

    /** Sets every byte to 0 (on the legacy default stream, so before later work on this device's streams). */
    public void clear() {
        checkOpen();
        device.bind();
        device.driver().memsetD8(address, (byte) 0, byteSize);
    }

    /** Uploads floats to byte {@code offset}. */
    public void upload(float[] values, long offset) { upload(MemorySegment.ofArray(values), offset); }

    /** {@code count} floats from byte {@code offset}. */
    public float[] downloadFloats(long offset, int count) {
        float[] out = new float[count];
        download(offset, MemorySegment.ofArray(out));
        return out;
    }

    /** {@code count} ints from byte {@code offset}. */
    public int[] downloadInts(long offset, int count) {
        int[] out = new int[count];
        download(offset, MemorySegment.ofArray(out));
        return out;
    }

    /** {@code count} shorts (e.g. halves) from byte {@code offset}. */
    public short[] downloadShorts(long offset, int count) {
        short[] out = new short[count];
        download(offset, MemorySegment.ofArray(out));
        return out;
    }

    private static void requireNative(MemorySegment s, long bytes) {
        if (!s.isNative()) throw new IllegalArgumentException("asynchronous copies need native host memory");
        if (bytes > s.byteSize()) throw new IndexOutOfBoundsException(bytes + " bytes do not fit a host segment of " + s.byteSize());
    }

    private void check(long offset, long bytes) {
        checkOpen();
        if (offset < 0 || bytes < 0 || offset + bytes > byteSize) {
            throw new IndexOutOfBoundsException(bytes + " bytes at " + offset + " do not fit a buffer of " + byteSize);
        }
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("device buffer is closed");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        device.free(address, byteSize);
    }
}
