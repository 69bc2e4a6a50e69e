package dev.vera4j.cuda;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One GPU, opened through its primary context (the context the driver keeps per device and that every library in the
 * process shares), retained on open and released on {@link #close}. Allocations, streams, events and modules are made
 * here and accounted here: {@link #allocatedBytes()} is what this process still holds through this object.
 *
 * <p>The driver keeps a current context per thread; every method that calls the driver first makes this device's
 * current ({@link #bind}, a cheap call), so any thread may use it, one at a time.
 *
 * <pre>{@code
 * try (CudaDevice gpu = CudaDevice.open(0);           // CudaUnavailableException: no NVIDIA driver found (...)
 *      DeviceBuffer b = gpu.allocate(1 << 20)) {
 *     System.out.println(gpu.info().describe() + ", " + gpu.memory().free() + " bytes free");
 * }
 * }</pre>
 */
public final class CudaDevice implements AutoCloseable {
    /**
     * Streams made here wait for the legacy default stream (flag 0, not CU_STREAM_NON_BLOCKING): the synchronous
     * copies and memsets ({@link DeviceBuffer#upload}) run there, and a copy from pageable memory may still be on its
     * way to the device when it returns, so a kernel queued next on a non-blocking stream could read stale memory.
     */
    private static final int CU_STREAM_DEFAULT = 0;
    private static final int CUDA_ERROR_OUT_OF_MEMORY = 2;

    private final CudaDriver cu;
    private final int handle;
    private final MemorySegment context;
    private final DeviceInfo info;
    private final AtomicLong allocated = new AtomicLong();
    private final AtomicLong allocations = new AtomicLong();
    private volatile boolean closed;

    private CudaDevice(CudaDriver cu, int handle, MemorySegment context, DeviceInfo info) {
        this.cu = cu;
        this.handle = handle;
        this.context = context;
        this.info = info;
    }

    /** Free and total bytes of a device's memory. */
    public record Memory(long free, long total) {}

    /**
     * Opens GPU {@code index} ({@code cuda:index}).
     *
     * @throws CudaUnavailableException without a driver, without devices, or for an index out of range
     */
    public static CudaDevice open(int index) {
        CudaDriver cu = CudaDriver.get();
        int count = cu.deviceCount();
        if (count == 0) throw new CudaUnavailableException("no CUDA device found (the NVIDIA driver sees no GPU)");
        if (index < 0 || index >= count) throw new CudaUnavailableException(noSuchDevice(index, count));
        DeviceInfo info = DeviceInfo.query(cu, index);
        int handle = cu.device(index);
        MemorySegment ctx = cu.primaryCtxRetain(handle);
        CudaDevice d = new CudaDevice(cu, handle, ctx, info);
        d.bind();
        return d;
    }

    /** The message for an index out of range. */
    static String noSuchDevice(int index, int count) {
        return "there is no cuda:" + index + ": this machine has " + count + " CUDA device"
                + (count == 1 ? " (cuda:0)" : "s (cuda:0 .. cuda:" + (count - 1) + ")");
    }

    /**
     * Every GPU the driver sees, without opening any.
     *
     * @throws CudaUnavailableException without a driver
     */
    public static List<DeviceInfo> list() {
        CudaDriver cu = CudaDriver.get();
        List<DeviceInfo> out = new ArrayList<>();
        for (int i = 0, n = cu.deviceCount(); i < n; i++) out.add(DeviceInfo.query(cu, i));
        return out;
    }

    public DeviceInfo info() { return info; }

    /** Makes this device's context current on the calling thread. */
    public void bind() {
        checkOpen();
        cu.ctxSetCurrent(context);
    }

    /** Free and total device memory now ({@code cuMemGetInfo}; other processes' use included). */
    public Memory memory() {
        bind();
        long[] m = cu.memGetInfo();
        return new Memory(m[0], m[1]);
    }

    /**
     * Checks that {@code bytes} more fit before a large allocation, so that the error names the whole need.
     *
     * @throws DeviceMemoryException if fewer bytes are free
     */
    public void requireFree(long bytes, String what) {
        Memory m = memory();
        if (bytes > m.free()) throw new DeviceMemoryException(info.id() + " (" + info.name() + ")", what, bytes, m.free(), m.total());
    }

    /**
     * {@code bytes} of device memory (aligned to at least 256 bytes), not initialized.
     *
     * @throws DeviceMemoryException if the device has not that much free
     */
    public DeviceBuffer allocate(long bytes) {
        if (bytes <= 0) throw new IllegalArgumentException("allocation of " + bytes + " bytes");
        bind();
        int[] result = new int[1];
        long address = cu.memAlloc(bytes, result);
        if (result[0] == CUDA_ERROR_OUT_OF_MEMORY) {
            Memory m = memory();
            throw new DeviceMemoryException(info.id() + " (" + info.name() + ")", "an allocation of", bytes, m.free(), m.total());
        }
        cu.check(result[0], "cuMemAlloc_v2");
        allocated.addAndGet(bytes);
        allocations.incrementAndGet();
        return new DeviceBuffer(this, address, bytes);
    }

    /** Called by {@link DeviceBuffer#close}. */
    void free(long address, long bytes) {
        bind();
        cu.memFree(address);
        allocated.addAndGet(-bytes);
    }

    /** Bytes allocated through this device and not yet freed. */
    public long allocatedBytes() { return allocated.get(); }

    /** Allocations made through this device so far ({@code cuMemAlloc} calls, freed or not): none should come per token. */
    public long allocationCount() { return allocations.get(); }

    /** A stream of its own, ordered after the synchronous copies made before work is queued on it. */
    public CudaStream newStream() {
        bind();
        return new CudaStream(this, cu.streamCreate(CU_STREAM_DEFAULT));
    }

    /** An event for timing work on a stream. */
    public CudaEvent newEvent() {
        bind();
        return new CudaEvent(this, cu.eventCreate(0));
    }

    /** Loads a module from a cubin, PTX or fatbin image held in native memory. */
    public CudaModule loadModule(MemorySegment image) {
        bind();
        return new CudaModule(this, cu.moduleLoadData(image));
    }

    /** Waits until all work on this device is done. */
    public void synchronize() {
        bind();
        cu.ctxSynchronize();
    }

    CudaDriver driver() { return cu; }

    private void checkOpen() {
        if (closed) throw new IllegalStateException(info.id() + " is closed");
    }

    /** Releases the primary context; buffers, streams and modules made here must be closed first. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        cu.primaryCtxRelease(handle);
    }

    @Override
    public String toString() { return info.id() + " (" + info.name() + ")"; }
}
