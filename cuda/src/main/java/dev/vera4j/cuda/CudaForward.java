package dev.vera4j.cuda;

import dev.vera4j.engine.model.LinearSite;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.engine.model.ModelConfigException;
import dev.vera4j.engine.model.RopeType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The llama-family forward pass (llama, mistral, qwen2 with q/k/v biases, qwen3 with per-head q/k norms, Llama-3 rope
 * scaling; other families are refused, see {@link GpuModels}) on a GPU, step for step the CPU's
 * {@code Transformer.forward}: tokens of one sequence go in, their keys and values are appended to a
 * {@link DeviceKvCache}, and the logits come back to the host. Weights, activations and the
 * cache stay on the device; a pass copies in the token ids and copies out the logits (or, for greedy decoding, the
 * chosen id: {@link #forwardGreedy}). VeRA adapters apply on the device ({@link #addAdapter}, or
 * {@link #setAdapters} per sequence).
 *
 * <p>Products of one token with Q8_0 or Q4_0 weights quantize the activations to int8 blocks as the CPU's int8 route
 * does (llama.cpp's formulation), so both paths make the same rounding there; all other products are float. The two
 * paths' activations differ in the last bits (their sums run in different orders), so now and then a value sits on a
 * rounding boundary and quantizes one step apart: a logit moves by about 1e-3 of the largest, against the 1e-2 that
 * quantizing on one side only would cost. {@code -Dvera4j.noint8=true} keeps these products in float on both paths.
 *
 * <pre>{@code
 * try (DeviceWeights w = DeviceWeights.upload(gpu, config, ModelWeights.of(file, config));
 *      CudaForward f = new CudaForward(w, config, 512);
 *      DeviceKvCache cache = DeviceKvCache.allocate(gpu, config.blockCount(), 2048, config.kvDim())) {
 *     float[] logits = new float[config.vocabSize()];
 *     f.forward(promptIds, 0, promptIds.length, cache, logits, false);   // prefill: the last token's logits
 *     int next = f.forwardGreedy(new int[] {argmax(logits)}, 0, 1, cache);
 * }
 * }</pre>
 *
 * <p>One pass at a time (not thread-safe); allocates nothing per pass once a pass of each kind has run (the buffers of
 * all-token logits are made on their first use).
 */
public final class CudaForward implements AutoCloseable {
    /** {@code -Dvera4j.noint8=true} keeps every product in float, as it does on the CPU (for A/B comparisons). */
    private static final boolean INT8 = !Boolean.getBoolean("vera4j.noint8");
    /** The projections of a block that adapters may change (a backend checks its adapters before every step: no {@code values()} copy). */
    private static final LinearSite.Kind[] BLOCK_KINDS = java.util.EnumSet.range(LinearSite.Kind.Q, LinearSite.Kind.DOWN).toArray(new LinearSite.Kind[0]);

    private final ModelConfig c;
    private final DeviceWeights w;
    private final CudaDevice device;
    private final CudaStream stream;
    private final CudaKernels k;
    private final DeviceArena scratch;
    private final Arena host = Arena.ofShared();
    private final int maxBatch;
    private final boolean neox;
    private final float scale;
    private final long x, xb, q, kk, v, mix, gate, up, q8, d8, tokens, logits, chosen;
    private final DeviceBuffer tokensBuffer, logitsBuffer, chosenBuffer;
    private final MemorySegment hostTokens, hostLogits, hostChosen;
    private DeviceBuffer allLogits;
    private MemorySegment hostAllLogits;
    private DeviceVeraAdapter[] adapters = new DeviceVeraAdapter[0];
    private DeviceBuffer[] ax = new DeviceBuffer[0];
    /** Per adapter: the (layer, input group) its {@code ax} holds, so q, k and v (gate and up) share one {@code A·x}. */
    private int[] axLayer = new int[0], axGroup = new int[0];
    /** {@code A·x} buffers of adapters that {@link #setAdapters} took out, for the next ones (freed with the scratch). */
    private final List<DeviceBuffer> spare = new ArrayList<>();

    /**
     * Scratch for passes of up to {@code maxBatch} tokens.
     *
     * @throws CudaUnavailableException if the kernels cannot run on the device
     * @throws dev.vera4j.engine.backend.DeviceException for a model of a family the GPU cannot run ({@link GpuModels})
     * @throws ModelConfigException if the model's head dimension exceeds {@link CudaKernels#MAX_HEAD_DIM}
     */
    public CudaForward(DeviceWeights weights, ModelConfig config, int maxBatch) {
        if (maxBatch < 1) throw new IllegalArgumentException("maxBatch must be positive, got " + maxBatch);
        GpuModels.require(config);
        if (config.headDim() > CudaKernels.MAX_HEAD_DIM) {
            throw new ModelConfigException("head dimension " + config.headDim() + " exceeds the GPU attention kernel's " + CudaKernels.MAX_HEAD_DIM);
        }
        this.c = config;
        this.w = weights;
        this.maxBatch = maxBatch;
        this.device = weights.device();
        this.neox = config.ropeType() != RopeType.NORM;
        this.scale = config.style().attentionScale();   // 1/√headDim unless the file says otherwise
        this.stream = device.newStream();
        CudaKernels kernels = null;
        DeviceArena arena = new DeviceArena(device);
        try {
            kernels = CudaKernels.load(stream);
            int dim = c.dim(), qDim = c.qDim(), kvDim = c.kvDim(), ff = c.feedForwardLength();
            int wide = Math.max(dim, Math.max(qDim, ff));
            long b = maxBatch;
            device.requireFree(4 * b * (2L * dim + Math.max(dim, qDim) + 2L * qDim + 2L * kvDim + 2L * ff) + 2L * wide + 4L * c.vocabSize(), "a forward pass's activations");
            x = arena.allocate(4 * b * dim).address();
            xb = arena.allocate(4 * b * Math.max(dim, qDim)).address();
            q = arena.allocate(4 * b * qDim).address();
            kk = arena.allocate(4 * b * kvDim).address();
            v = arena.allocate(4 * b * kvDim).address();
            mix = arena.allocate(4 * b * qDim).address();
            gate = arena.allocate(4 * b * ff).address();
            up = arena.allocate(4 * b * ff).address();
            q8 = arena.allocate(wide).address();
            d8 = arena.allocate(4L * (wide / 32 + 1)).address();
            tokensBuffer = arena.allocate(4 * b);
            logitsBuffer = arena.allocate(4L * c.vocabSize());
            chosenBuffer = arena.allocate(4);
            tokens = tokensBuffer.address();
            logits = logitsBuffer.address();
            chosen = chosenBuffer.address();
            hostTokens = host.allocate(4 * b, 16);
            hostLogits = host.allocate(4L * c.vocabSize(), 16);
            hostChosen = host.allocate(4, 16);
        } catch (RuntimeException e) {
            if (kernels != null) kernels.close();
            arena.close();
            stream.close();
            host.close();
            throw e;
        }
        this.k = kernels;
        this.scratch = arena;
    }

    public int maxBatch() { return maxBatch; }

    public CudaDevice device() { return device; }

    /** The stream the passes run on (for timing with {@link CudaEvent}s). */
    public CudaStream stream() { return stream; }

    /**
     * Adds an adapter to every later pass, after the ones added before.
     *
     * @throws IllegalArgumentException if a site's shape is not the model's projection at that site
     */
    public void addAdapter(DeviceVeraAdapter adapter) {
        requireFits(adapter);
        DeviceBuffer buffer = scratch.allocate(4L * maxBatch * adapter.rank());
        int n = adapters.length;
        adapters = Arrays.copyOf(adapters, n + 1);
        ax = Arrays.copyOf(ax, n + 1);
        axLayer = Arrays.copyOf(axLayer, n + 1);
        axGroup = Arrays.copyOf(axGroup, n + 1);
        adapters[n] = adapter;
        ax[n] = buffer;
    }

    /**
     * Makes {@code list[0 .. count)} the adapters of later passes, in that order, in place of all before: what a
     * backend does before each sequence's pass, since sequences have adapters of their own. Returns at once when they
     * are the adapters in use; otherwise the scratch of the adapters that leave is kept for the ones that come, so
     * device memory is allocated only when more adapters, or adapters of a higher rank, are in use than before.
     *
     * @throws IllegalArgumentException if a site's shape is not the model's projection at that site; the adapters
     *                                  in use are left as they were (as they are when the device memory runs out)
     */
    public void setAdapters(DeviceVeraAdapter[] list, int count) {
        if (count == adapters.length && Arrays.equals(adapters, 0, count, list, 0, count)) return;   // identity: no equals()
        for (int i = 0; i < count; i++) requireFits(list[i]);
        List<DeviceBuffer> leaving = Arrays.asList(ax);
        spare.addAll(leaving);
        DeviceBuffer[] next = new DeviceBuffer[count];
        try {
            for (int i = 0; i < count; i++) next[i] = spareOrNew(4L * maxBatch * list[i].rank());
        } catch (RuntimeException e) {   // out of device memory: the adapters in use keep their buffers
            for (DeviceBuffer b : next) if (b != null) spare.add(b);
            spare.removeAll(leaving);
            throw e;
        }
        adapters = Arrays.copyOf(list, count);
        ax = next;
        axLayer = new int[count];
        axGroup = new int[count];
    }

    /** The smallest kept buffer of at least {@code bytes}, taken from the kept ones, or a new one. */
    private DeviceBuffer spareOrNew(long bytes) {
        int best = -1;
        for (int i = 0; i < spare.size(); i++) {
            long size = spare.get(i).byteSize();
            if (size >= bytes && (best < 0 || size < spare.get(best).byteSize())) best = i;
        }
        return best >= 0 ? spare.remove(best) : scratch.allocate(bytes);
    }

    /**
     * Checks that {@code adapter} fits this model, as {@link #addAdapter} does, without adding it.
     *
     * @throws IllegalArgumentException if a site's shape is not the model's projection at that site
     */
    public void requireFits(DeviceVeraAdapter adapter) {
        if (adapter.layers() != c.blockCount()) throw new IllegalArgumentException("adapter for " + adapter.layers() + " layers, the model has " + c.blockCount());
        for (int l = 0; l < c.blockCount(); l++) {
            for (LinearSite.Kind kind : BLOCK_KINDS) {
                DeviceVeraAdapter.Site s = adapter.site(l, kind);
                if (s == null) continue;
                int in = inputs(kind), out = outputs(kind);
                if (s.in() != in || s.out() != out) {
                    throw new IllegalArgumentException("VeRA adapter expects " + new LinearSite(l, kind) + " to be " + s.out() + " x " + s.in()
                            + " but the model's is " + out + " x " + in);
                }
            }
        }
    }

    /** Removes an adapter added before; returns whether it was there. */
    public boolean removeAdapter(DeviceVeraAdapter adapter) {
        for (int i = 0; i < adapters.length; i++) {
            if (adapters[i] != adapter) continue;
            scratch.release(ax[i]);
            adapters = remove(adapters, i, new DeviceVeraAdapter[adapters.length - 1]);
            ax = remove(ax, i, new DeviceBuffer[ax.length - 1]);
            axLayer = Arrays.copyOf(axLayer, adapters.length);
            axGroup = Arrays.copyOf(axGroup, adapters.length);
            return true;
        }
        return false;
    }

    private static <T> T[] remove(T[] a, int i, T[] out) {
        System.arraycopy(a, 0, out, 0, i);
        System.arraycopy(a, i + 1, out, i, a.length - i - 1);
        return out;
    }

    private int inputs(LinearSite.Kind kind) {
        return switch (kind) {
            case O -> c.qDim();
            case DOWN -> c.feedForwardLength();
            default -> c.dim();
        };
    }

    private int outputs(LinearSite.Kind kind) {
        return switch (kind) {
            case Q -> c.qDim();
            case K, V -> c.kvDim();
            case GATE, UP -> c.feedForwardLength();
            case OUTPUT -> c.vocabSize();
            default -> c.dim();
        };
    }

    /**
     * Runs {@code tokens[off .. off+n)} at positions {@code cache.length() ..}, appends their keys and values to the
     * cache, and writes logits: of the last token into {@code logits[0 .. vocab)}, or with {@code allLogits} of every
     * token ({@code logits[t·vocab ..]}). Returns when the logits are on the host.
     *
     * @throws dev.vera4j.engine.kv.ContextOverflowException if the tokens do not fit in the cache
     */
    public void forward(int[] tokens, int off, int n, DeviceKvCache cache, float[] logits, boolean allLogits) {
        forward(tokens, off, n, cache, logits, 0, allLogits);
    }

    /** As {@link #forward(int[], int, int, DeviceKvCache, float[], boolean)}, the logits from {@code logits[logitsOff]} on. */
    public void forward(int[] tokens, int off, int n, DeviceKvCache cache, float[] logits, int logitsOff, boolean allLogits) {
        if (logitsOff < 0 || logits.length - (long) logitsOff < (long) (allLogits ? n : 1) * c.vocabSize()) throw new IllegalArgumentException("logits array too small");
        int rows = allLogits ? n : 1;
        run(tokens, off, n, cache, allLogits);
        MemorySegment staged = allLogits ? hostAllLogits : hostLogits;
        long bytes = 4L * rows * c.vocabSize();
        (allLogits ? this.allLogits : logitsBuffer).downloadAsync(stream, 0, staged, bytes);
        stream.synchronize();
        MemorySegment.copy(staged, ValueLayout.JAVA_FLOAT, 0, logits, logitsOff, rows * c.vocabSize());
    }

    /**
     * As {@link #forward} for the last token, but picks the greedy next token on the device (the largest logit, the
     * lowest id on ties, as the CPU's greedy sampler): 4 bytes come back instead of the vocabulary's logits.
     */
    public int forwardGreedy(int[] tokens, int off, int n, DeviceKvCache cache) {
        long out = run(tokens, off, n, cache, false);
        k.argmax(out, c.vocabSize(), chosen);
        chosenBuffer.downloadAsync(stream, 0, hostChosen, 4);
        stream.synchronize();
        return hostChosen.get(ValueLayout.JAVA_INT, 0);
    }

    /** Queues the whole pass; returns the device address of the logits rows. */
    private long run(int[] ids, int off, int n, DeviceKvCache cache, boolean allLogits) {
        if (n < 1 || n > maxBatch) throw new IllegalArgumentException("batch of " + n + " tokens; this forward takes 1 to " + maxBatch);
        if (off < 0 || off + n > ids.length) throw new IllegalArgumentException("tokens " + off + ".." + (off + n) + " of an array of " + ids.length);
        if (cache.layers() != c.blockCount() || cache.kvDim() != c.kvDim()) {
            throw new IllegalArgumentException("KV cache of " + cache.layers() + " layers x " + cache.kvDim() + " does not fit the model");
        }
        for (int t = off; t < off + n; t++) {
            if (ids[t] < 0 || ids[t] >= c.vocabSize()) throw new IllegalArgumentException("token id " + ids[t] + " is outside the vocabulary [0, " + c.vocabSize() + ")");
        }
        cache.ensureRoom(n);
        if (allLogits) ensureAllLogits();
        device.bind();
        int dim = c.dim(), qDim = c.qDim(), kvDim = c.kvDim(), ff = c.feedForwardLength(), hd = c.headDim();
        int heads = c.headCount(), kvHeads = c.headCountKv(), pairs = c.ropeDim() / 2, pos0 = cache.length();
        float eps = c.rmsEps();
        Arrays.fill(axLayer, -1);
        MemorySegment.copy(ids, off, hostTokens, ValueLayout.JAVA_INT, 0, n);
        tokensBuffer.uploadAsync(stream, hostTokens, 0, 4L * n);
        k.embed(w.embedding(), tokens, x, n);
        for (int l = 0; l < c.blockCount(); l++) {
            DeviceWeights.Layer L = w.layer(l);
            // attention: x += Wo · attn(rope(Wq·norm(x)), rope(Wk·norm(x)), Wv·norm(x))
            k.rmsNorm(x, L.attnNorm(), xb, n, dim, eps);
            boolean quantized = product(L.wq(), xb, q, n, false);
            quantized = product(L.wk(), xb, kk, n, quantized);
            product(L.wv(), xb, v, n, quantized);
            if (L.bq() != 0) {
                k.addBias(q, L.bq(), qDim, n * qDim);
                k.addBias(kk, L.bk(), kvDim, n * kvDim);
                k.addBias(v, L.bv(), kvDim, n * kvDim);
            }
            adapt(l, LinearSite.Kind.Q, xb, q, n);
            adapt(l, LinearSite.Kind.K, xb, kk, n);
            adapt(l, LinearSite.Kind.V, xb, v, n);
            if (L.qNorm() != 0) {
                k.rmsNorm(q, L.qNorm(), q, n * heads, hd, eps);
                k.rmsNorm(kk, L.kNorm(), kk, n * kvHeads, hd, eps);
            }
            k.rope(q, n, heads, hd, pairs, pos0, w.invFreq(), neox);
            k.rope(kk, n, kvHeads, hd, pairs, pos0, w.invFreq(), neox);
            long at = 2L * pos0 * kvDim;
            k.kvStore(kk, v, cache.keys(l) + at, cache.values(l) + at, n * kvDim);
            k.attention(q, cache.keys(l), cache.values(l), mix, n, heads, kvHeads, hd, pos0, scale);
            product(L.wo(), mix, xb, n, false);
            adapt(l, LinearSite.Kind.O, mix, xb, n);
            k.add(x, xb, n * dim);
            // feed-forward: x += Wdown · (silu(Wgate·norm(x)) * Wup·norm(x))
            k.rmsNorm(x, L.ffnNorm(), xb, n, dim, eps);
            quantized = product(L.gate(), xb, gate, n, false);
            product(L.up(), xb, up, n, quantized);
            adapt(l, LinearSite.Kind.GATE, xb, gate, n);
            adapt(l, LinearSite.Kind.UP, xb, up, n);
            k.swiglu(gate, up, n * ff);
            product(L.down(), gate, xb, n, false);
            adapt(l, LinearSite.Kind.DOWN, gate, xb, n);
            k.add(x, xb, n * dim);
        }
        cache.advance(n);
        int first = allLogits ? 0 : n - 1, m = n - first;
        long out = allLogits ? this.allLogits.address() : logits;
        k.rmsNorm(x + 4L * first * dim, w.outputNorm(), xb, m, dim, eps);
        product(w.output(), xb, out, m, false);
        return out;
    }

    /** Makes the buffers of all-token logits on first use (most passes want the last token's only). */
    private void ensureAllLogits() {
        if (allLogits != null) return;
        allLogits = scratch.allocate(4L * maxBatch * c.vocabSize());
        hostAllLogits = host.allocate(4L * maxBatch * c.vocabSize(), 16);
    }

    /**
     * {@code y = W·x} for {@code n} tokens: by the int8 route for one token of Q8_0 or Q4_0 weights, quantizing
     * {@code x} unless {@code quantized} says the previous product of the same input did; returns whether {@code x}
     * is now quantized.
     */
    private boolean product(DeviceMatrix m, long in, long out, int n, boolean quantized) {
        if (n == 1 && INT8 && CudaKernels.hasInt8Product(m.type())) {
            if (!quantized) k.quantizeQ8(in, q8, d8, m.cols());
            k.productInt8(m, q8, d8, out);
            return true;
        }
        k.product(m, in, out, n);
        return quantized;
    }

    /** Sites that read one input share one {@code A·x} per adapter (the CPU's VeraAdapter groups). */
    private static int inputGroup(LinearSite.Kind kind) {
        return switch (kind) {
            case Q, K, V -> 0;
            case O -> 1;
            case GATE, UP -> 2;
            case DOWN -> 3;
            default -> throw new IllegalArgumentException("no " + kind + " sites on the GPU");
        };
    }

    /** Adds every adapter's term for {@code (layer, kind)} to {@code y}; {@code in} is the projection's input. */
    private void adapt(int layer, LinearSite.Kind kind, long in, long y, int n) {
        int group = inputGroup(kind);
        for (int i = 0; i < adapters.length; i++) {
            DeviceVeraAdapter a = adapters[i];
            DeviceVeraAdapter.Site s = a.site(layer, kind);
            if (s == null) continue;
            if (axLayer[i] != layer || axGroup[i] != group) {
                k.product(s.a(), in, ax[i].address(), n);
                axLayer[i] = layer;
                axGroup[i] = group;
            }
            k.veraUp(s.bt(), s.btStride(), ax[i].address(), s.lambdaD(), s.lambdaB(), a.weight(), y, s.out(), a.rank(), n);
        }
    }

    @Override
    public void close() {
        try {
            k.close();
            scratch.close();
            stream.close();
        } finally {
            host.close();
        }
    }
}
