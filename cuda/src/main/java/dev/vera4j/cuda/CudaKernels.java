package dev.vera4j.cuda;

import dev.vera4j.gguf.GgmlType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;

/**
 * vera4j's kernels ({@code cuda/src/main/cuda}, packaged as {@link KernelImage}) loaded on one device, with a typed
 * launch method per kernel; each queues its kernel on the stream given at load. Arguments are device addresses
 * ({@link DeviceBuffer#address()}, {@link DeviceBuffer#at}) and sizes; activations are float rows, token {@code t}
 * of width {@code w} at element {@code t·w}. Launching allocates nothing (one {@link KernelArgs}); not thread-safe.
 *
 * <pre>{@code
 * try (CudaStream s = gpu.newStream(); CudaKernels k = CudaKernels.load(gpu, s)) {
 *     k.rmsNorm(x, norm, xb, n, dim, 1e-5f);
 *     k.product(wq, xb, q, n);
 *     s.synchronize();
 * }
 * }</pre>
 *
 * <p>The CPU computations each mirrors are named in the CUDA sources. Where the rounding differs from the CPU path:
 * float sums are added in another order (products, attention, RMSNorm's mean square in double); attention divides by
 * the softmax sum after mixing rather than before; decoding, SiLU, e^x, RoPE's rotations, the F16 cache's rounding
 * and VeRA's up half are the same operations and give the same bits for the same inputs.
 */
public final class CudaKernels implements AutoCloseable {
    /** Products of up to this many tokens take the warp-per-row kernel; more take the tiled one. */
    static final int MATVEC_MAX_TOKENS = 8;
    /** Head dimensions the attention kernel holds in registers (8 per lane). */
    public static final int MAX_HEAD_DIM = 256;
    private static final int CUDA_ERROR_NO_BINARY_FOR_GPU = 209, CUDA_ERROR_INVALID_PTX = 218,
            CUDA_ERROR_JIT_COMPILER_NOT_FOUND = 221, CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222;

    /** The three kernels of one weight type. */
    private record TypeKernels(CudaFunction matvec, CudaFunction gemm, CudaFunction embed) {}

    private final CudaStream stream;
    private final CudaModule module;
    private final KernelArgs args = new KernelArgs();
    private final Map<GgmlType, TypeKernels> byType = new EnumMap<>(GgmlType.class);
    private final CudaFunction quantizeQ8, matvecQ8_0Q8, matvecQ4_0Q8, rmsNorm, rope, kvStore, attention, add, addBias,
            swiglu, argmax, veraUp;

    /** Finds a kernel by name (a loaded module's {@link CudaModule#function}). */
    interface Lookup {
        CudaFunction function(String name);
    }

    /** Looks every kernel up through {@code lookup}; {@code module} (null in tests of the names) is closed with this. */
    CudaKernels(CudaStream stream, CudaModule module, Lookup lookup) {
        this.stream = stream;
        this.module = module;
        for (GgmlType t : DeviceTypes.nativeTypes()) {
            String s = DeviceTypes.suffix(t);
            byType.put(t, new TypeKernels(lookup.function("matvec_" + s), lookup.function("gemm_" + s), lookup.function("embed_" + s)));
        }
        quantizeQ8 = lookup.function("quantize_q8");
        matvecQ8_0Q8 = lookup.function("matvec_q8_0_q8");
        matvecQ4_0Q8 = lookup.function("matvec_q4_0_q8");
        rmsNorm = lookup.function("rms_norm");
        rope = lookup.function("rope");
        kvStore = lookup.function("kv_store");
        attention = lookup.function("attention");
        add = lookup.function("add");
        addBias = lookup.function("add_bias");
        swiglu = lookup.function("swiglu");
        argmax = lookup.function("argmax");
        veraUp = lookup.function("vera_up");
    }

    /**
     * Loads the packaged kernels on {@code stream}'s device.
     *
     * @throws CudaUnavailableException if the driver or the GPU cannot run them (driver older than the kernels' CUDA
     *     version, or a GPU older than any architecture in the image)
     */
    public static CudaKernels load(CudaStream stream) {
        KernelImage image = KernelImage.load();
        CudaDevice device = stream.device();
        CudaModule module;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment copy = a.allocate(image.size(), 16);
            image.copyTo(copy);
            module = device.loadModule(copy);
        } catch (CudaException e) {
            if (Set.of(CUDA_ERROR_NO_BINARY_FOR_GPU, CUDA_ERROR_INVALID_PTX, CUDA_ERROR_JIT_COMPILER_NOT_FOUND,
                    CUDA_ERROR_UNSUPPORTED_PTX_VERSION).contains(e.code())) {
                throw new CudaUnavailableException(unsupported(device.info(), image, e.errorName()), e);
            }
            throw e;
        }
        try {
            return new CudaKernels(stream, module, module::function);
        } catch (RuntimeException e) {
            module.close();
            throw e;
        }
    }

    /** Why {@code gpu} cannot load {@code image}: a GPU older than the image, or a driver older than its PTX. */
    static String unsupported(DeviceInfo gpu, KernelImage image, String errorName) {
        String what = gpu.id() + " (" + gpu.name() + ", compute capability " + gpu.major() + "." + gpu.minor() + ")";
        if (!image.runsOn(gpu.major(), gpu.minor())) {
            return what + " cannot run vera4j's kernels, built for " + image.describe() + " (" + errorName + ")";
        }
        return "the NVIDIA driver (CUDA " + DeviceInfo.version(gpu.driverVersion()) + ") is too old for vera4j's kernels, built with nvcc "
                + image.record().nvcc() + ": update the driver (CUDA 13.0 needs driver 580 or newer) (" + errorName + " on " + what + ")";
    }

    public CudaStream stream() { return stream; }

    private TypeKernels kernels(GgmlType type) {
        TypeKernels k = byType.get(type);
        if (k == null) throw new IllegalArgumentException(type + " has no device kernels");
        return k;
    }

    /** {@code y[t·rows + r] = Σ_k W[r,k]·x[t·cols + k]} for {@code n} tokens, in float. */
    public void product(DeviceMatrix w, long x, long y, int n) {
        TypeKernels k = kernels(w.type());
        args.begin().ptr(w.address()).i64(w.rowBytes()).ptr(x).ptr(y).i32(w.rows()).i32(w.cols()).i32(n);
        if (n <= MATVEC_MAX_TOKENS) args.launch(k.matvec(), blocks(w.rows(), 4), 1, 128, 0, stream);
        else args.launch(k.gemm(), blocks(w.rows(), 64), blocks(n, 64), 256, 0, stream);
    }

    /** Whether {@link #productInt8} serves {@code type} (the CPU's int8 route for one token: Q8_0 and Q4_0). */
    public static boolean hasInt8Product(GgmlType type) { return type == GgmlType.Q8_0 || type == GgmlType.Q4_0; }

    /** One token's {@code cols} activations (a multiple of 32) as int8 blocks: {@code cols} bytes at {@code q}, {@code cols/32} scales at {@code d}. */
    public void quantizeQ8(long x, long q, long d, int cols) {
        int blocks = cols / 32;
        args.begin().ptr(x).ptr(q).ptr(d).i32(blocks).launch(quantizeQ8, blocks(blocks, 8), 1, 256, 0, stream);
    }

    /** {@code y = W·x} for one token quantized by {@link #quantizeQ8}; W is Q8_0 or Q4_0. */
    public void productInt8(DeviceMatrix w, long q, long d, long y) {
        CudaFunction f = switch (w.type()) {
            case Q8_0 -> matvecQ8_0Q8;
            case Q4_0 -> matvecQ4_0Q8;
            default -> throw new IllegalArgumentException("no int8 product for " + w.type());
        };
        args.begin().ptr(w.address()).i64(w.rowBytes()).ptr(q).ptr(d).ptr(y).i32(w.rows()).i32(w.cols() / 32)
                .launch(f, blocks(w.rows(), 4), 1, 128, 0, stream);
    }

    /** {@code out[t·cols + k] = table[tokens[t]][k]} for {@code n} token ids (ints) at {@code tokens}. */
    public void embed(DeviceMatrix table, long tokens, long out, int n) {
        args.begin().ptr(table.address()).i64(table.rowBytes()).ptr(tokens).ptr(out).i32(n).i32(table.cols())
                .launch(kernels(table.type()).embed(), blocks(table.cols(), 256), n, 256, 0, stream);
    }

    /** RMSNorm of {@code rows} rows of {@code dim} (weight: {@code dim} floats); {@code out} may equal {@code x}. */
    public void rmsNorm(long x, long weight, long out, int rows, int dim, float eps) {
        args.begin().ptr(x).ptr(weight).ptr(out).i32(dim).f32(eps).launch(rmsNorm, rows, 1, Math.min(256, 32 * blocks(dim, 32)), 0, stream);
    }

    /**
     * Rotates {@code n} tokens of {@code heads} heads in place for positions {@code pos0 ..}: the first {@code pairs}
     * pairs of each head, by {@code invFreq} ({@code pairs} floats), NORM or NEOX layout.
     */
    public void rope(long x, int n, int heads, int headDim, int pairs, int pos0, long invFreq, boolean neox) {
        int count = n * heads * pairs;
        args.begin().ptr(x).i32(heads).i32(headDim).i32(pairs).i32(pos0).ptr(invFreq).i32(neox ? 1 : 0).i32(n)
                .launch(rope, blocks(count, 256), 1, 256, 0, stream);
    }

    /** Writes {@code count} keys and values (floats) as halves at {@code keys} and {@code values}. */
    public void kvStore(long k, long v, long keys, long values, int count) {
        args.begin().ptr(k).ptr(v).ptr(keys).ptr(values).i32(count).launch(kvStore, blocks(count, 256), 1, 256, 0, stream);
    }

    /**
     * Causal attention of {@code n} tokens at positions {@code pos0 ..} over one layer's cache ({@code keys},
     * {@code values}: position {@code p} at {@code p·kvDim} halves, the new tokens already stored): {@code out} gets
     * each query head's mix.
     */
    public void attention(long q, long keys, long values, long out, int n, int heads, int kvHeads, int headDim, int pos0, float scale) {
        if (headDim > MAX_HEAD_DIM) throw new IllegalArgumentException("head dimension " + headDim + " exceeds the kernel's " + MAX_HEAD_DIM);
        args.begin().ptr(q).ptr(keys).ptr(values).ptr(out).i32(heads).i32(kvHeads).i32(headDim).i32(pos0).f32(scale)
                .launch(attention, heads, n, 128, 0, stream);
    }

    /** {@code a += b} over {@code count} floats. */
    public void add(long a, long b, int count) {
        args.begin().ptr(a).ptr(b).i32(count).launch(add, blocks(count, 256), 1, 256, 0, stream);
    }

    /** {@code y[t·width + i] += bias[i]} over {@code count} floats. */
    public void addBias(long y, long bias, int width, int count) {
        args.begin().ptr(y).ptr(bias).i32(width).i32(count).launch(addBias, blocks(count, 256), 1, 256, 0, stream);
    }

    /** {@code gate = silu(gate)·up} over {@code count} floats. */
    public void swiglu(long gate, long up, int count) {
        args.begin().ptr(gate).ptr(up).i32(count).launch(swiglu, blocks(count, 256), 1, 256, 0, stream);
    }

    /** The index of the largest of {@code count} floats (lowest on ties) as an int at {@code out}. */
    public void argmax(long x, int count, long out) {
        args.begin().ptr(x).i32(count).ptr(out).launch(argmax, 1, 1, 1024, 0, stream);
    }

    /**
     * VeRA's up half of one site for {@code n} tokens: {@code y[t·out + o] += (weight·λ_b[o])·Σ_i Bᵀ[i][o]·(ax[t·rank + i]·λ_d[i])},
     * with {@code ax = A·x} from {@link #product} and Bᵀ's rows {@code btStride} floats apart.
     */
    public void veraUp(long bt, int btStride, long ax, long lambdaD, long lambdaB, float weight, long y, int out, int rank, int n) {
        args.begin().ptr(bt).i32(btStride).ptr(ax).ptr(lambdaD).ptr(lambdaB).f32(weight).ptr(y).i32(out).i32(rank).i32(n)
                .launch(veraUp, blocks(out, 256), n, 256, 0, stream);
    }

    private static int blocks(int count, int per) { return (count + per - 1) / per; }

    @Override
    public void close() {
        try {
            if (module != null) module.close();
        } finally {
            args.close();
        }
    }
}
