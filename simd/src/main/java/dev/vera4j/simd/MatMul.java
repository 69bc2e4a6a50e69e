package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.types.Codecs;
import dev.vera4j.gguf.types.TensorCodec;

/**
 * Products of GGUF weight matrices with activations, split by rows over a {@link WorkerPool}. One instance per
 * session (not thread-safe): it owns the task object and scratch, so a product allocates nothing.
 *
 * <pre>{@code
 * var mm = new MatMul(pool, maxCols, maxTokens);
 * mm.matVec(Weights.of(file.tensor("blk.0.attn_q.weight")), x, y);   // y = W·x
 * mm.matMul(w, xs, ys, n);                                            // ys[t] = W·xs[t] for n tokens
 * }</pre>
 *
 * <p>Which kernel multiplies a type is listed in {@link KernelTable}. Types with float row kernels (F32, F16, BF16,
 * Q8_0, Q4_0, Q4_K, Q6_K; {@code *Dot} classes) read the weights straight from the mapping, widen them to floats in
 * registers and FMA with the float activations; for two to seven tokens each row is decoded once per four tokens.
 * From {@link Tuning#PANEL_MIN_TOKENS} tokens on (prompt prefill, training), any type is decoded a panel of rows at a
 * time (512 KB of floats) and multiplied in register tiles ({@link PanelJob}), which is 2.3× faster for 128 tokens. On
 * hardware without 256-bit vectors, and for types without row kernels, a row is dequantized into a float scratch row and
 * dotted with each token.
 *
 * <p>Decode (one token) takes llama.cpp's int8 route when 16 float lanes are available: the calling thread quantizes
 * the activations once ({@link Int8Activations}) and the rows meet them in 16-bit integer products. Matrices with a
 * packed copy ({@link Weights#pack}: Q4_0 rows regrouped by 16, {@link Q4Interleaved}; Q4_K and Q6_K super-blocks
 * reordered, {@link Q4KPacked}, {@link Q6KPacked}) are read from it, by every product; Q8_0 and unpacked Q4_0 rows take
 * the GGUF-layout int8 kernels ({@code Q8IntDot}, rows two at a time from far-apart places, and {@code Q4IntDot}).
 * With 8 float lanes (AVX2) a product of one to {@link Tuning#NARROW_MAX_TOKENS} tokens of Q4_0, Q8_0, Q4_1, Q5_0,
 * Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS or IQ4_NL takes the same route in 256-bit vectors over the GGUF rows ({@link Narrow},
 * {@code *NarrowDot}), with no packed copies.
 * {@link Tuning#NO_INT8} keeps the float path (for A/B measurements).
 *
 * <p>A batched decode step (two to {@link PackedLayout#maxTokens} tokens, one per sequence) over a packed copy takes
 * the layout's kernel of several tokens ({@link PackedLayout#newTokensJob}): each token's activations are quantized as
 * for one token, one after another, and each row group (Q4_0) or row (256-value layouts) meets every token while it is
 * in the cache, so the copy is read from memory once per step instead of being decoded to floats by the panel GEMM.
 * Each token gets the one-token kernel's result (the Q3_K to Q6_K and IQ4_XS kernels unpack a super-block once for up to
 * four tokens, {@link RunLayout#dots}, with the same operations per token). The arithmetic per token stays close to
 * that of one token alone, so from {@code maxTokens() + 1} tokens on the panel GEMM, whose decoding is shared by all
 * tokens, is faster (for the regrouped Q4_0 copy, {@link RowLanesJob}); those tokens read float activations, not int8
 * ones.
 *
 * <p>A product made with {@code fixedOrder} sends every product, one token included, through the panel GEMM, whose
 * lane sums have one fixed order ({@link Sums#ordered}); the other kernels' {@code reduceLanes} can round the last bit
 * differently before and after the JIT compiles them. Training uses it, so a run resumed in a new process continues
 * bit for bit.
 *
 * <p>Matrices that read the same input (q, k and v; gate and up) can go as one product,
 * {@link #matMul(float[], int, Weights, float[], Weights, float[], Weights, float[])}: one quantization and one barrier.
 */
public final class MatMul {
    private final WorkerPool pool;
    private final int maxCols;
    private final int maxTokens;
    private final boolean fixedOrder;
    /** The row kernels of single products, and of the second and third matrix of a {@link #matMul(float[], int, Weights, float[], Weights, float[], Weights, float[]) shared-input} product. */
    private final KernelTable.Jobs[] kernels = new KernelTable.Jobs[3];
    private final FallbackJob fallback = new FallbackJob();
    private final PanelJob panel;
    private final RowLanesJob rowLanes = new RowLanesJob();
    /** One token's activations as int8 blocks, quantized by the calling thread before the rows are split. */
    private final Int8Activations acts;
    private final ThreadLocal<float[]> rowScratch;
    /** The activations with their 256-value runs transposed, for the panel over packed 256-value layouts; made on first use. */
    private float[] transposed;
    /** Whether the next products' tokens belong to several sequences ({@link #severalSequences}). */
    private boolean severalSequences;

    /** @param maxCols the widest input any product will see; @param maxTokens the most tokens in one {@link #matMul} */
    public MatMul(WorkerPool pool, int maxCols, int maxTokens) {
        this(pool, maxCols, maxTokens, false);
    }

    /**
     * @param fixedOrder whether every product goes through the panel GEMM, whose results do not depend on JIT timing
     *     (for training; slower for one token)
     */
    public MatMul(WorkerPool pool, int maxCols, int maxTokens, boolean fixedOrder) {
        if (maxCols < 1 || maxTokens < 1) throw new IllegalArgumentException("maxCols and maxTokens must be >= 1, got " + maxCols + ", " + maxTokens);
        this.pool = pool;
        this.maxCols = maxCols;
        this.maxTokens = maxTokens;
        this.fixedOrder = fixedOrder;
        this.rowScratch = ThreadLocal.withInitial(() -> new float[maxCols]);
        this.panel = new PanelJob(maxCols);
        // room for the tokens of a batched decode step, one after another
        int int8Tokens = Narrow.ENABLED ? Tuning.NARROW_MAX_TOKENS : Math.max(Tuning.INT8_MAX_TOKENS, Tuning.RUN_INT8_MAX_TOKENS);
        this.acts = Int8.ENABLED || Narrow.ENABLED ? new Int8Activations(Math.max(1, Math.min(maxTokens, int8Tokens)) * maxCols + 31) : null;
        for (int i = 0; i < kernels.length; i++) kernels[i] = new KernelTable.Jobs(acts);
    }

    /**
     * Whether this CPU runs the int8 kernels (512-bit vectors: AVX-512). Elsewhere (AVX2, NEON) every product goes
     * through the float kernels in {@link Vec#L} lanes, which are several times slower and which C2 does not compile
     * free of allocation everywhere (see README, Limitations); tests of the decode speed or of allocation-free decoding
     * hold where this is true.
     */
    public static boolean int8Kernels() { return Int8.ENABLED; }

    /**
     * Whether this CPU runs the int8 kernels in 256-bit vectors over the GGUF rows (AVX2 without AVX-512): one-token
     * products of every quantized type, and those of two or three tokens ({@link
     * Tuning#NARROW_MAX_TOKENS}) token by token, each row's weights staying in cache for its tokens. From four tokens on
     * the float row kernels, which decode a row once for four tokens, are faster.
     */
    public static boolean narrowInt8Kernels() { return Narrow.ENABLED; }

    /**
     * Says whether the next products' tokens belong to several sequences (a batched decode step) or to one (a prompt;
     * the default). The layouts with a kernel of their own for several tokens ({@link PackedLayout#tokensKernel}: Q3_K
     * to Q6_K, IQ4_XS) take it only for several sequences; one sequence's few prompt tokens take the one-token kernel
     * per token, up to {@link Tuning#RUN_INT8_MAX_TOKENS}, which {@link KernelPrimer} compiled while the model loaded,
     * where a one-shot run would wait for C2 to compile the larger kernel (1B Q4_K_M file, {@code generate -n 16} with a
     * 5-token prompt: 1.56 s against 1.94 s). The values are the same either way.
     *
     * <pre>{@code
     * mm.severalSequences(batch.size() > 1);   // before a step's products
     * }</pre>
     */
    public void severalSequences(boolean several) {
        this.severalSequences = several;
    }

    /** Whether weights of {@code type} can be multiplied at all (by a vector kernel or through a dequantized row). */
    public static boolean supports(GgmlType type) {
        return KernelTable.of(type) != null || Codecs.supports(type);
    }

    /** {@code y[r] = Σ_k W[r,k]·x[k]} for every row of {@code w}. */
    public void matVec(Weights w, float[] x, float[] y) {
        matMul(w, x, 0, y, 0, 1);
    }

    /** {@code y[t·rows + r] = Σ_k W[r,k]·x[t·cols + k]} for {@code n} tokens. */
    public void matMul(Weights w, float[] x, float[] y, int n) {
        matMul(w, x, 0, y, 0, n);
    }

    /** As {@link #matMul(Weights, float[], float[], int)} with token rows starting at {@code x[xOff]} and {@code y[yOff]}. */
    public void matMul(Weights w, float[] x, int xOff, float[] y, int yOff, int n) {
        check(w, x, xOff, y, yOff, n);
        if (n == 0 || w.rows() == 0) return;
        RowJob job = job(kernels[0], w, n);
        if (job instanceof Int8Job i8) acts.quantizeTokens(x, xOff, w.cols(), n, i8.layouts());
        if (job == panel && w.packed() != null && KernelTable.layout(w.type()).transposedRuns()) {
            // the packed rows decode with each 256-value run transposed: the activations follow
            if (transposed == null) transposed = new float[maxTokens * maxCols];
            KOrder.transposeRuns(x, xOff, n, w.cols(), transposed);
            x = transposed;
            xOff = 0;
        }
        job.set(w, x, xOff, y, yOff, n);
        if (job == fallback) fallback.type(w.type());
        else if (job == panel) panel.type(w.type());
        else if (job == rowLanes) rowLanes.layout(KernelTable.layout(w.type()));
        try {
            pool.parallelFor(job.units(), job);
        } finally {
            job.clear();
        }
    }

    /**
     * {@code ya = Wa·x}, {@code yb = Wb·x} and, unless {@code wc} is null, {@code yc = Wc·x} for {@code n} tokens of
     * the same input (q, k and v; gate and up), with outputs from index 0. Up to {@link #PANEL_MIN_TOKENS} tokens the
     * rows of all the matrices are split over the threads as one job, with the activations quantized once: decoding a
     * token then waits at one barrier where it would wait at three.
     */
    public void matMul(float[] x, int n, Weights wa, float[] ya, Weights wb, float[] yb, Weights wc, float[] yc) {
        check(wa, x, 0, ya, 0, n);
        check(wb, x, 0, yb, 0, n);
        if (wc != null) check(wc, x, 0, yc, 0, n);
        if (wa.cols() != wb.cols() || (wc != null && wc.cols() != wa.cols())) {
            throw new IllegalArgumentException("weights of one input differ in width: " + wa.cols() + ", " + wb.cols() + (wc == null ? "" : ", " + wc.cols()));
        }
        if (n == 0) return;
        RowJob a = job(kernels[0], wa, n), b = job(kernels[1], wb, n);
        RowJob c = wc == null ? null : job(kernels[2], wc, n);
        // the panel and fallback jobs keep per-call state (codec, type), so they go one matrix at a time
        if (a == panel || a == fallback || a == rowLanes || b == panel || b == fallback || b == rowLanes || c == panel || c == fallback || c == rowLanes) {
            matMul(wa, x, 0, ya, 0, n);
            matMul(wb, x, 0, yb, 0, n);
            if (wc != null) matMul(wc, x, 0, yc, 0, n);
            return;
        }
        if (a instanceof Int8Job || b instanceof Int8Job || c instanceof Int8Job) acts.quantizeTokens(x, 0, wa.cols(), n, layouts(a) | layouts(b) | layouts(c));
        a.set(wa, x, 0, ya, 0, n);
        b.set(wb, x, 0, yb, 0, n);
        if (c != null) c.set(wc, x, 0, yc, 0, n);
        try {
            pool.parallelFor(a.units(), a, b.units(), b, c == null ? 0 : c.units(), c);
        } finally {
            a.clear();
            b.clear();
            if (c != null) c.clear();
        }
    }

    /** The activation layouts an int8 job reads; 0 for a job that reads floats (or none). */
    private static int layouts(RowJob job) {
        return job instanceof Int8Job i8 ? i8.layouts() : 0;
    }

    private void check(Weights w, float[] x, int xOff, float[] y, int yOff, int n) {
        int rows = w.rows(), cols = w.cols();
        if (n < 0 || n > maxTokens) throw new IllegalArgumentException("token count " + n + " outside 0.." + maxTokens);
        if (cols > maxCols) throw new IllegalArgumentException("weights have " + cols + " columns, more than maxCols " + maxCols);
        if (xOff < 0 || (long) xOff + (long) n * cols > x.length) {
            throw new IllegalArgumentException("input of " + x.length + " floats is too short for " + n + " tokens of " + cols + " at " + xOff);
        }
        if (yOff < 0 || (long) yOff + (long) n * rows > y.length) {
            throw new IllegalArgumentException("output of " + y.length + " floats is too short for " + n + " tokens of " + rows + " at " + yOff);
        }
        if (!Vec.ENABLED || KernelTable.of(w.type()) == null) checkFallback(w.type());
    }

    /**
     * How many activations share one int8 scale when a product of {@code n} tokens of {@code w} quantizes them
     * (llama.cpp's formulation, adding a rounding error of at most half a step, {@code max|x| / 254}, per value): 32, or
     * 256 for the packed 256-value layouts ({@link KOrder}); 0 when the product multiplies floats. It depends on the CPU
     * (512-bit, 256-bit or no int8 kernels), so tests that compare with another engine ask it.
     */
    public static int int8Block(Weights w, int n) {
        return int8Block(w, n, false);
    }

    /** {@link #int8Block(Weights, int)} for products over several sequences or one ({@link #severalSequences}). */
    public static int int8Block(Weights w, int n, boolean severalSequences) {
        KernelTable.Entry e = KernelTable.of(w.type());
        if (n < 1 || e == null) return 0;
        if (Narrow.ENABLED) return n <= Tuning.NARROW_MAX_TOKENS && e.narrowRow() != null ? 32 : 0;
        if (!Int8.ENABLED) return 0;
        int most = w.packed() == null ? 1
                : severalSequences || !e.layout().tokensKernel() ? e.layout().maxTokens() : Tuning.RUN_INT8_MAX_TOKENS;
        var job = n == 1 ? (w.packed() != null ? e.packedRow() : e.int8Row())
                : n <= most ? e.packedTokens() : null;
        if (job == null) return 0;
        return (job.get().layouts() & Int8Activations.K_ORDER) != 0 ? 256 : 32;
    }

    /** From this many tokens on, a product goes through the panel GEMM ({@link PanelJob}); see {@link Tuning#PANEL_MIN_TOKENS}. */
    static final int PANEL_MIN_TOKENS = Tuning.PANEL_MIN_TOKENS;

    private static void checkFallback(GgmlType type) {
        if (!supports(type)) {
            throw new UnsupportedOperationException("no matrix product for weights of type " + type);
        }
    }

    /**
     * The job for {@code n} tokens of {@code w}, in the order {@link KernelTable} describes: the 256-bit int8 kernel
     * for up to {@link Tuning#NARROW_MAX_TOKENS} tokens (AVX2), the packed copy's or the GGUF rows' int8 kernel for one
     * token, the packed copy's int8 kernel for up to {@link PackedLayout#maxTokens}
     * tokens, the panel GEMM for many tokens or a packed copy (whose mapping may be
     * released), the float row kernels, or dequantized rows.
     */
    private RowJob job(KernelTable.Jobs k, Weights w, int n) {
        GgmlType type = w.type();
        if (fixedOrder) return panel;
        if (!Vec.ENABLED) return fallback;
        if (n <= Tuning.NARROW_MAX_TOKENS && Narrow.ENABLED) {
            RowJob narrow = k.narrowRow(type);
            if (narrow != null) return narrow;
        }
        if (n == 1 && Int8.ENABLED) {
            RowJob one = w.packed() != null ? k.packedRow(type) : k.int8Row(type);
            if (one != null) return one;
        }
        if (w.packed() != null && Int8.ENABLED) {
            PackedLayout layout = KernelTable.layout(type);
            RowJob few = null;   // a batched decode step or a short prompt: the copy read once for all tokens
            if (severalSequences || !layout.tokensKernel()) {
                if (n <= layout.maxTokens()) few = k.packedTokens(type);
            } else if (n <= Tuning.RUN_INT8_MAX_TOKENS) {
                few = k.packedRow(type);   // one sequence's prompt: the one-token kernel per token, compiled at load
            }
            if (few != null) return few;
        }
        if (n >= PANEL_MIN_TOKENS && w.packed() != null && KernelTable.layout(type).rowGroup() == 16) return rowLanes;
        if (n >= PANEL_MIN_TOKENS || w.packed() != null) return panel;
        RowJob rows = k.floatRows(type);
        return rows != null ? rows : fallback;
    }

    /** Any type: each row is dequantized into a float scratch row (per thread), then dotted with every token. */
    private final class FallbackJob extends RowJob {
        GgmlType type;
        TensorCodec codec;

        void type(GgmlType type) {
            this.type = type;
            this.codec = Codecs.of(type);
        }

        @Override
        public void run(int start, int end) {
            float[] row = rowScratch.get();
            for (int r = start; r < end; r++) {
                if (Vec.ENABLED) codec.dequantize(data, rowBytes * r, row, 0, cols);
                else Dequant.row(type, data, rowBytes * r, row, 0, cols);
                for (int t = 0; t < n; t++) {
                    int xo = xOff + t * cols;
                    y[yOff + t * rows + r] = Elementwise.dot(row, 0, x, xo, cols);
                }
            }
        }
    }
}
