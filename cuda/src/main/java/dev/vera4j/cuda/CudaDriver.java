package dev.vera4j.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The CUDA driver API ({@code libcuda.so.1}) bound with the FFM API: one downcall handle per function vera4j uses,
 * looked up by its versioned export ({@code cuMemAlloc_v2}, ...), and a method per call that checks the
 * {@code CUresult} and throws {@link CudaException} with the call and the error's name. Handles of the driver's
 * objects (contexts, streams, events, modules, functions) are {@link MemorySegment} addresses; device pointers
 * ({@code CUdeviceptr}) and sizes are {@code long}s. The owning classes ({@link CudaDevice}, {@link DeviceBuffer},
 * {@link CudaStream}, ...) are the API; this class is their plumbing.
 *
 * <p>Calls with out-parameters allocate a small confined arena each; the calls a forward pass makes per token
 * ({@link #launchKernel}, the async copies, {@link #streamSynchronize}, {@link #ctxSetCurrent}) have none, so a
 * pass allocates nothing.
 *
 * <pre>{@code
 * CudaDriver cu = CudaDriver.get();          // CudaUnavailableException: no NVIDIA driver found (...)
 * int version = cu.driverVersion();          // 13000 for CUDA 13.0
 * }</pre>
 */
final class CudaDriver {
    /** The library the NVIDIA driver installs (the toolkit's {@code libcuda.so} is a stub that cannot run anything). */
    static final String LIBRARY = "libcuda.so.1";
    /**
     * A system property naming another library (a path) to load instead: a driver outside the linker's path, or the
     * tests' CPU emulation of the driver.
     */
    static final String LIBRARY_PROPERTY = "vera4j.cuda.library";

    private static final int CUDA_ERROR_STUB_LIBRARY = 34, CUDA_ERROR_INSUFFICIENT_DRIVER = 35, CUDA_ERROR_NO_DEVICE = 100;

    /** The driver of this process, loaded and initialized on first use; or why there is none. */
    private static final class Loaded {
        static final Object DRIVER = tryLoad();

        private static Object tryLoad() {
            try {
                return load(System.getProperty(LIBRARY_PROPERTY, LIBRARY));
            } catch (CudaUnavailableException e) {
                return e;
            }
        }
    }

    private final String library;
    private final MethodHandle cuInit, cuDriverGetVersion, cuDeviceGetCount, cuDeviceGet, cuDeviceGetName,
            cuDeviceGetAttribute, cuDeviceTotalMem, cuDevicePrimaryCtxRetain, cuDevicePrimaryCtxRelease,
            cuCtxSetCurrent, cuCtxSynchronize, cuMemGetInfo, cuMemAlloc, cuMemFree, cuMemcpyHtoD, cuMemcpyDtoH,
            cuMemcpyHtoDAsync, cuMemcpyDtoHAsync, cuMemsetD8, cuStreamCreate, cuStreamDestroy, cuStreamSynchronize,
            cuEventCreate, cuEventRecord, cuEventSynchronize, cuEventElapsedTime, cuEventDestroy, cuModuleLoadData,
            cuModuleGetFunction, cuModuleUnload, cuLaunchKernel, cuGetErrorName;
    private final String eventElapsedTimeName;

    private CudaDriver(String library, SymbolLookup lib) {
        this.library = library;
        Linker linker = Linker.nativeLinker();
        Binder b = new Binder(linker, lib);
        cuGetErrorName = b.bind("cuGetErrorName", JAVA_INT, ADDRESS);
        cuInit = b.bind("cuInit", JAVA_INT);
        cuDriverGetVersion = b.bind("cuDriverGetVersion", ADDRESS);
        cuDeviceGetCount = b.bind("cuDeviceGetCount", ADDRESS);
        cuDeviceGet = b.bind("cuDeviceGet", ADDRESS, JAVA_INT);
        cuDeviceGetName = b.bind("cuDeviceGetName", ADDRESS, JAVA_INT, JAVA_INT);
        cuDeviceGetAttribute = b.bind("cuDeviceGetAttribute", ADDRESS, JAVA_INT, JAVA_INT);
        cuDeviceTotalMem = b.bind("cuDeviceTotalMem_v2", ADDRESS, JAVA_INT);
        cuDevicePrimaryCtxRetain = b.bind("cuDevicePrimaryCtxRetain", ADDRESS, JAVA_INT);
        cuDevicePrimaryCtxRelease = b.bind("cuDevicePrimaryCtxRelease_v2", JAVA_INT);
        cuCtxSetCurrent = b.bind("cuCtxSetCurrent", ADDRESS);
        cuCtxSynchronize = b.bind("cuCtxSynchronize");
        cuMemGetInfo = b.bind("cuMemGetInfo_v2", ADDRESS, ADDRESS);
        cuMemAlloc = b.bind("cuMemAlloc_v2", ADDRESS, JAVA_LONG);
        cuMemFree = b.bind("cuMemFree_v2", JAVA_LONG);
        cuMemcpyHtoD = b.bind("cuMemcpyHtoD_v2", JAVA_LONG, ADDRESS, JAVA_LONG);
        cuMemcpyDtoH = b.bind("cuMemcpyDtoH_v2", ADDRESS, JAVA_LONG, JAVA_LONG);
        cuMemcpyHtoDAsync = b.bind("cuMemcpyHtoDAsync_v2", JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS);
        cuMemcpyDtoHAsync = b.bind("cuMemcpyDtoHAsync_v2", ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS);
        cuMemsetD8 = b.bind("cuMemsetD8_v2", JAVA_LONG, JAVA_BYTE, JAVA_LONG);
        cuStreamCreate = b.bind("cuStreamCreate", ADDRESS, JAVA_INT);
        cuStreamDestroy = b.bind("cuStreamDestroy_v2", ADDRESS);
        cuStreamSynchronize = b.bind("cuStreamSynchronize", ADDRESS);
        cuEventCreate = b.bind("cuEventCreate", ADDRESS, JAVA_INT);
        cuEventRecord = b.bind("cuEventRecord", ADDRESS, ADDRESS);
        cuEventSynchronize = b.bind("cuEventSynchronize", ADDRESS);
        // CUDA 12.8 added the _v2 (which also reports times of events recorded in graphs); older drivers lack it
        eventElapsedTimeName = lib.find("cuEventElapsedTime_v2").isPresent() ? "cuEventElapsedTime_v2" : "cuEventElapsedTime";
        cuEventElapsedTime = b.bind(eventElapsedTimeName, ADDRESS, ADDRESS, ADDRESS);
        cuEventDestroy = b.bind("cuEventDestroy_v2", ADDRESS);
        cuModuleLoadData = b.bind("cuModuleLoadData", ADDRESS, ADDRESS);
        cuModuleGetFunction = b.bind("cuModuleGetFunction", ADDRESS, ADDRESS, ADDRESS);
        cuModuleUnload = b.bind("cuModuleUnload", ADDRESS);
        cuLaunchKernel = b.bind("cuLaunchKernel", ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
    }

    /** Looks up the {@code int}-returning functions of one library. */
    private record Binder(Linker linker, SymbolLookup lib) {
        MethodHandle bind(String name, MemoryLayout... args) {
            MemorySegment symbol = lib.find(name).orElseThrow(() -> new CudaUnavailableException(
                    "the NVIDIA driver lacks " + name + ": it is too old for vera4j (CUDA 13.0 needs driver 580 or newer)"));
            return linker.downcallHandle(symbol, FunctionDescriptor.of(JAVA_INT, args));
        }
    }

    /**
     * The process's driver, loaded and initialized ({@code cuInit}) on the first call.
     *
     * @throws CudaUnavailableException if {@code libcuda.so.1} is not found, is a stub, or finds no device
     */
    static CudaDriver get() {
        Object d = Loaded.DRIVER;
        if (d instanceof CudaDriver driver) return driver;
        // a fresh exception per call, so each stack trace shows its caller
        throw new CudaUnavailableException(((CudaUnavailableException) d).getMessage());
    }

    /** Loads {@code library} (a name the dynamic linker resolves, or a path) and calls {@code cuInit}. */
    static CudaDriver load(String library) {
        SymbolLookup lib;
        try {
            lib = SymbolLookup.libraryLookup(library, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new CudaUnavailableException("no NVIDIA driver found (" + library + " is not on the library path)");
        }
        CudaDriver d = new CudaDriver(library, lib);
        int r = d.initResult();
        if (r == CUDA_ERROR_STUB_LIBRARY) {
            throw new CudaUnavailableException("no NVIDIA driver found (" + library + " is the CUDA toolkit's stub library, not a driver)");
        }
        if (r == CUDA_ERROR_NO_DEVICE) throw new CudaUnavailableException("no CUDA device found (the NVIDIA driver sees no GPU)");
        if (r == CUDA_ERROR_INSUFFICIENT_DRIVER) {
            throw new CudaUnavailableException("the NVIDIA driver is too old for this CUDA version (" + d.errorName(r) + ")");
        }
        if (r != 0) throw new CudaUnavailableException("the NVIDIA driver failed to start: cuInit returned " + d.errorName(r) + " (" + r + ")");
        return d;
    }

    String library() { return library; }

    private int initResult() {
        try {
            return (int) cuInit.invokeExact(0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {@code CUDA_ERROR_...} for a {@code CUresult}, or {@code CUresult N} when the driver does not know it. */
    String errorName(int code) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            int r = (int) cuGetErrorName.invokeExact(code, out);
            MemorySegment p = out.get(ADDRESS, 0);
            return r != 0 || p.equals(MemorySegment.NULL) ? "CUresult " + code : p.reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** Throws {@link CudaException} unless {@code result} is {@code CUDA_SUCCESS}. */
    void check(int result, String call) {
        if (result != 0) throw new CudaException(call, result, errorName(result));
    }

    /** A driver call that fills one out-parameter. */
    @FunctionalInterface
    private interface OutCall {
        int call(MemorySegment out) throws Throwable;
    }

    /** A driver call without out-parameters. */
    @FunctionalInterface
    private interface Call {
        int call() throws Throwable;
    }

    /** Runs {@code c} with a fresh out-parameter of {@code layout}, checks its result, returns the parameter's value. */
    private MemorySegment out(MemoryLayout layout, String name, OutCall c, Arena a) {
        MemorySegment o = a.allocate(layout);
        int r;
        try {
            r = c.call(o);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        check(r, name);
        return o;
    }

    private int outInt(String name, OutCall c) {
        try (Arena a = Arena.ofConfined()) {
            return out(JAVA_INT, name, c, a).get(JAVA_INT, 0);
        }
    }

    private long outLong(String name, OutCall c) {
        try (Arena a = Arena.ofConfined()) {
            return out(JAVA_LONG, name, c, a).get(JAVA_LONG, 0);
        }
    }

    private MemorySegment outHandle(String name, OutCall c) {
        try (Arena a = Arena.ofConfined()) {
            return out(ADDRESS, name, c, a).get(ADDRESS, 0);
        }
    }

    /** Runs a call without out-parameters and checks it (not for the per-token calls: the lambda may allocate). */
    private void run(String name, Call c) {
        int r;
        try {
            r = c.call();
        } catch (Throwable t) {
            throw unexpected(t);
        }
        check(r, name);
    }

    int driverVersion() { return outInt("cuDriverGetVersion", o -> (int) cuDriverGetVersion.invokeExact(o)); }

    int deviceCount() { return outInt("cuDeviceGetCount", o -> (int) cuDeviceGetCount.invokeExact(o)); }

    /** The {@code CUdevice} of ordinal {@code index}. */
    int device(int index) { return outInt("cuDeviceGet", o -> (int) cuDeviceGet.invokeExact(o, index)); }

    String deviceName(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment name = a.allocate(256);
            run("cuDeviceGetName", () -> (int) cuDeviceGetName.invokeExact(name, 256, device));
            return name.getString(0);
        }
    }

    int deviceAttribute(int attribute, int device) {
        return outInt("cuDeviceGetAttribute", o -> (int) cuDeviceGetAttribute.invokeExact(o, attribute, device));
    }

    long deviceTotalMem(int device) { return outLong("cuDeviceTotalMem_v2", o -> (int) cuDeviceTotalMem.invokeExact(o, device)); }

    MemorySegment primaryCtxRetain(int device) {
        return outHandle("cuDevicePrimaryCtxRetain", o -> (int) cuDevicePrimaryCtxRetain.invokeExact(o, device));
    }

    void primaryCtxRelease(int device) { run("cuDevicePrimaryCtxRelease_v2", () -> (int) cuDevicePrimaryCtxRelease.invokeExact(device)); }

    /** Per pass: no lambda. */
    void ctxSetCurrent(MemorySegment ctx) {
        int r;
        try {
            r = (int) cuCtxSetCurrent.invokeExact(ctx);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        check(r, "cuCtxSetCurrent");
    }

    void ctxSynchronize() { run("cuCtxSynchronize", () -> (int) cuCtxSynchronize.invokeExact()); }

    /** {@code {free, total}} bytes of the current context's device. */
    long[] memGetInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment free = a.allocate(JAVA_LONG), total = a.allocate(JAVA_LONG);
            run("cuMemGetInfo_v2", () -> (int) cuMemGetInfo.invokeExact(free, total));
            return new long[] {free.get(JAVA_LONG, 0), total.get(JAVA_LONG, 0)};
        }
    }

    /** A device allocation's address; the raw {@code CUresult} stays with the caller, which explains out-of-memory. */
    long memAlloc(long bytes, int[] result) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_LONG);
            result[0] = (int) cuMemAlloc.invokeExact(p, bytes);
            return p.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    void memFree(long ptr) { run("cuMemFree_v2", () -> (int) cuMemFree.invokeExact(ptr)); }

    void memcpyHtoD(long dst, MemorySegment src, long bytes) {
        run("cuMemcpyHtoD_v2", () -> (int) cuMemcpyHtoD.invokeExact(dst, src, bytes));
    }

    void memcpyDtoH(MemorySegment dst, long src, long bytes) {
        run("cuMemcpyDtoH_v2", () -> (int) cuMemcpyDtoH.invokeExact(dst, src, bytes));
    }

    /** Per pass: no lambda. */
    void memcpyHtoDAsync(long dst, MemorySegment src, long bytes, MemorySegment stream) {
        int r;
        try {
            r = (int) cuMemcpyHtoDAsync.invokeExact(dst, src, bytes, stream);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        check(r, "cuMemcpyHtoDAsync_v2");
    }

    /** Per pass: no lambda. */
    void memcpyDtoHAsync(MemorySegment dst, long src, long bytes, MemorySegment stream) {
        int r;
        try {
            r = (int) cuMemcpyDtoHAsync.invokeExact(dst, src, bytes, stream);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        check(r, "cuMemcpyDtoHAsync_v2");
    }

    void memsetD8(long dst, byte value, long count) { run("cuMemsetD8_v2", () -> (int) cuMemsetD8.invokeExact(dst, value, count)); }

    MemorySegment streamCreate(int flags) { return outHandle("cuStreamCreate", o -> (int) cuStreamCreate.invokeExact(o, flags)); }

    void streamDestroy(MemorySegment stream) { run("cuStreamDestroy_v2", () -> (int) cuStreamDestroy.invokeExact(stream)); }

    /** Per pass: no lambda. */
    void streamSynchronize(MemorySegment stream) {
        int r;
        try {
            r = (int) cuStreamSynchronize.invokeExact(stream);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        check(r, "cuStreamSynchronize");
    }

    MemorySegment eventCreate(int flags) { return outHandle("cuEventCreate", o -> (int) cuEventCreate.invokeExact(o, flags)); }

    void eventRecord(MemorySegment event, MemorySegment stream) { run("cuEventRecord", () -> (int) cuEventRecord.invokeExact(event, stream)); }

    void eventSynchronize(MemorySegment event) { run("cuEventSynchronize", () -> (int) cuEventSynchronize.invokeExact(event)); }

    float eventElapsedMillis(MemorySegment start, MemorySegment end) {
        try (Arena a = Arena.ofConfined()) {
            return out(JAVA_FLOAT, eventElapsedTimeName, o -> (int) cuEventElapsedTime.invokeExact(o, start, end), a).get(JAVA_FLOAT, 0);
        }
    }

    void eventDestroy(MemorySegment event) { run("cuEventDestroy_v2", () -> (int) cuEventDestroy.invokeExact(event)); }

    /** Loads a module from an image in native memory (cubin, PTX or fatbin). */
    MemorySegment moduleLoadData(MemorySegment image) {
        return outHandle("cuModuleLoadData", o -> (int) cuModuleLoadData.invokeExact(o, image));
    }

    MemorySegment moduleGetFunction(MemorySegment module, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cName = a.allocateFrom(name);
            return out(ADDRESS, "cuModuleGetFunction(" + name + ")", o -> (int) cuModuleGetFunction.invokeExact(o, module, cName), a).get(ADDRESS, 0);
        }
    }

    void moduleUnload(MemorySegment module) { run("cuModuleUnload", () -> (int) cuModuleUnload.invokeExact(module)); }

    /** {@code cuLaunchKernel} with {@code kernelParams} (an array of pointers to the argument values) and no extras. */
    void launchKernel(MemorySegment function, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
                      int sharedBytes, MemorySegment stream, MemorySegment params, String name) {
        int r;
        try {
            r = (int) cuLaunchKernel.invokeExact(function, gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes, stream,
                    params, MemorySegment.NULL);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        if (r != 0) throw new CudaException("cuLaunchKernel(" + name + ")", r, errorName(r));
    }

    /** Our own exceptions pass; anything else from a downcall is a bug here, not a CUDA error. */
    private static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException e) return e;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("CUDA downcall failed: " + t, t);
    }
}
