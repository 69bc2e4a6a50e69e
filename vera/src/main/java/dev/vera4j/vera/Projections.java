package dev.vera4j.vera;

/**
 * The shared frozen VeRA matrices {@code A [r, inMax]} and {@code B [outMax, r]} (fp32, row-major), regenerated from
 * the projection seed exactly as Hugging Face PEFT does it, so that an adapter trained in PyTorch and saved with
 * {@code save_projection=False} gives the same model here.
 *
 * <p>PEFT ({@code peft/tuners/vera/model.py}, {@code _init_vera_A_vera_B}) builds
 * {@code g = torch.Generator(device="cpu").manual_seed(projection_prng_key)}, then
 * {@code A = _kaiming_init((r, in_max), g)} and {@code B = _kaiming_init((out_max, r), g)} from the same stream.
 * {@code _kaiming_init} is {@code tensor.uniform_(-bound, bound, generator=g)} with
 * {@code bound = sqrt(3) * (sqrt(2) / sqrt(fan_in))} computed in double, where {@code fan_in} is the tensor's second
 * dimension ({@code torch.nn.init._calculate_correct_fan}): {@code in_max} for A and {@code r} for B.
 *
 * <p>PyTorch's CPU {@code uniform_} kernel (ATen {@code uniform_kernel} with {@code uniform_real_distribution<float>})
 * casts both bounds to float, then for every element in row-major order draws one 32-bit word {@code w} and returns
 * {@code x * (to - from) + from} with {@code x = (w & 0xFFFFFF) * 2^-24}, all in float
 * ({@code DistAccumType<float>} is float). Whether that last step rounds once or twice depends on how PyTorch was
 * compiled: the kernel ({@code aten/src/ATen/native/cpu/DistributionKernels.cpp}) is built once per CPU capability,
 * and the AVX2/AVX-512 variants that PyTorch's x86-64 wheels dispatch to on current CPUs contract it into a fused
 * multiply-add, while the generic variant (also selected by running PyTorch with {@code ATEN_CPU_CAPABILITY=default})
 * rounds the product and the sum separately. {@link Rounding} selects which to reproduce; {@link Rounding#FUSED}
 * matches the wheels on PyPI. The two differ in about half of the elements, each by at most one unit in the last
 * place of {@code to - from}: enough to matter for bit-exact reproduction.
 *
 * <pre>{@code
 * Projections p = Projections.generate(0, 256, 4096, 4096, Projections.Rounding.FUSED);
 * Projections.View q = p.view(4096, 4096);      // the slice one adapted layer uses
 * float a00 = q.a(0, 0);
 * }</pre>
 */
public final class Projections {
    /** How the final {@code x * (to - from) + from} step of PyTorch's uniform sampler is rounded. */
    public enum Rounding {
        /** One rounding, as a fused multiply-add: PyTorch's AVX2 / AVX-512 kernels (the default on x86-64). */
        FUSED,
        /** Product and sum rounded separately: PyTorch's generic kernel ({@code ATEN_CPU_CAPABILITY=default}). */
        UNFUSED
    }

    private final int rank;
    private final int inMax;
    private final int outMax;
    private final float[] a;
    private final float[] b;

    private Projections(int rank, int inMax, int outMax, float[] a, float[] b) {
        this.rank = rank;
        this.inMax = inMax;
        this.outMax = outMax;
        this.a = a;
        this.b = b;
    }

    /**
     * Regenerates A and B from {@code seed} like PEFT's {@code _init_vera_A_vera_B}.
     *
     * @throws IllegalArgumentException if a dimension is not positive or the matrices would exceed 2^31-1 elements
     */
    public static Projections generate(long seed, int rank, int inMax, int outMax, Rounding rounding) {
        checkDims(rank, inMax, outMax);
        TorchGenerator g = new TorchGenerator(seed);
        float[] a = new float[rank * inMax];
        float[] b = new float[outMax * rank];
        kaimingUniform(a, inMax, g, rounding);
        kaimingUniform(b, rank, g, rounding);
        return new Projections(rank, inMax, outMax, a, b);
    }

    /** Regenerates the projections that {@code config} describes for layers of at most {@code inMax} inputs and {@code outMax} outputs. */
    public static Projections generate(VeraConfig config, int inMax, int outMax) {
        return generate(config.seed(), config.rank(), inMax, outMax,
                config.fusedMultiplyAdd() ? Rounding.FUSED : Rounding.UNFUSED);
    }

    /**
     * Wraps matrices that were stored rather than regenerated (PEFT's {@code save_projection=True}); the arrays are
     * taken over, not copied.
     *
     * @throws IllegalArgumentException if the array lengths do not match the dimensions
     */
    public static Projections of(int rank, int inMax, int outMax, float[] a, float[] b) {
        checkDims(rank, inMax, outMax);
        if (a.length != rank * inMax) {
            throw new IllegalArgumentException("vera_A has " + a.length + " elements, expected " + rank + " x " + inMax);
        }
        if (b.length != outMax * rank) {
            throw new IllegalArgumentException("vera_B has " + b.length + " elements, expected " + outMax + " x " + rank);
        }
        return new Projections(rank, inMax, outMax, a, b);
    }

    /**
     * Fills {@code dst} as {@code _kaiming_init} does: {@code uniform_(-bound, bound)} with the bound computed in
     * double exactly as Python evaluates it, then cast to float as ATen's {@code uniform_kernel} does.
     */
    static void kaimingUniform(float[] dst, int fanIn, TorchGenerator g, Rounding rounding) {
        double gain = Math.sqrt(2.0);
        double std = gain / Math.sqrt(fanIn);
        double bound = Math.sqrt(3.0) * std;
        float from = (float) -bound;
        float to = (float) bound;
        float range = to - from;
        if (rounding == Rounding.FUSED) {
            for (int i = 0; i < dst.length; i++) {
                dst[i] = Math.fma(g.nextUniformFloat(), range, from);
            }
        } else {
            for (int i = 0; i < dst.length; i++) {
                float scaled = g.nextUniformFloat() * range;
                dst[i] = scaled + from;
            }
        }
    }

    private static void checkDims(int rank, int inMax, int outMax) {
        if (rank <= 0 || inMax <= 0 || outMax <= 0) {
            throw new IllegalArgumentException(
                    "projection dimensions must be positive: r=" + rank + ", in_max=" + inMax + ", out_max=" + outMax);
        }
        if ((long) rank * inMax > Integer.MAX_VALUE || (long) rank * outMax > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "projections too large: r=" + rank + ", in_max=" + inMax + ", out_max=" + outMax);
        }
    }

    /** The rank r (rows of A, columns of B). */
    public int rank() { return rank; }

    /** Columns of A: the largest input width among adapted layers. */
    public int inMax() { return inMax; }

    /** Rows of B: the largest output width among adapted layers. */
    public int outMax() { return outMax; }

    /** A as {@code r x inMax} row-major floats. The array is shared, not copied: treat it as read-only. */
    public float[] a() { return a; }

    /** B as {@code outMax x r} row-major floats. The array is shared, not copied: treat it as read-only. */
    public float[] b() { return b; }

    /** Equal when dimensions match and every element of A and B is bit-identical. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Projections p && rank == p.rank && inMax == p.inMax && outMax == p.outMax
                && VeraLambdas.sameBits(a, p.a) && VeraLambdas.sameBits(b, p.b);
    }

    @Override
    public int hashCode() {
        return (rank * 31 + inMax) * 31 + outMax;
    }

    @Override
    public String toString() {
        return "Projections[r=" + rank + ", in_max=" + inMax + ", out_max=" + outMax + "]";
    }

    /**
     * The slices a layer with {@code in} inputs and {@code out} outputs uses: {@code A[:, :in]} and {@code B[:out, :]}.
     *
     * @throws IllegalArgumentException if the layer is wider than the projections
     */
    public View view(int in, int out) {
        if (in <= 0 || in > inMax || out <= 0 || out > outMax) {
            throw new IllegalArgumentException("layer " + out + " x " + in + " does not fit projections of in_max="
                    + inMax + ", out_max=" + outMax);
        }
        return new View(a, b, rank, inMax, in, out);
    }

    /**
     * One layer's slices of the shared projections, without copying: {@code A_l = A[:, :in]} is row {@code i} at
     * {@code a[i * aStride + j]} and {@code B_l = B[:out, :]} is row {@code o} at {@code b[o * rank + i]}.
     *
     * <pre>{@code
     * View v = projections.view(64, 64);
     * double s = 0; for (int j = 0; j < v.in(); j++) s += v.a(0, j) * x[j];
     * }</pre>
     *
     * @param a       the whole A, row-major {@code rank x aStride}
     * @param b       the whole B, row-major {@code outMax x rank}
     * @param rank    r
     * @param aStride {@code inMax}: distance between rows of A
     * @param in      this layer's input width
     * @param out     this layer's output width
     */
    public record View(float[] a, float[] b, int rank, int aStride, int in, int out) {
        /** {@code A_l[i][j]}, for {@code i < rank} and {@code j < in}. */
        public float a(int i, int j) {
            return a[i * aStride + j];
        }

        /** {@code B_l[o][i]}, for {@code o < out} and {@code i < rank}. */
        public float b(int o, int i) {
            return b[o * rank + i];
        }
    }
}
