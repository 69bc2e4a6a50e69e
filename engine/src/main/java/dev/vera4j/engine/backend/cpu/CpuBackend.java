package dev.vera4j.engine.backend.cpu;

import dev.vera4j.engine.backend.Activations;
import dev.vera4j.engine.backend.Backend;
import dev.vera4j.engine.backend.Batch;
import dev.vera4j.engine.backend.Device;
import dev.vera4j.engine.backend.Sequence;
import dev.vera4j.engine.kv.KvCache;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.ModelWeights;
import dev.vera4j.engine.model.PackedCopies;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.engine.model.RopeFrequencies;
import dev.vera4j.engine.model.RopeScaling;
import dev.vera4j.engine.model.RopeType;
import dev.vera4j.simd.Rope;
import dev.vera4j.simd.WorkerPool;


/**
 * The built-in backend: the Vector API kernels of {@code dev.vera4j.simd} on the model's {@link WorkerPool}, weights
 * read from the mapped GGUF file (or from packed copies in the kernels' layouts, see {@link #withDecodeCopies}), caches and scratch in
 * heap arrays ({@link HeapKvCache}, {@link CpuActivations}). Steps run one at a time ({@code synchronized}: they share
 * the pool).
 *
 * <pre>{@code
 * try (WorkerPool pool = new WorkerPool(4)) {
 *     CpuBackend cpu = new CpuBackend(config, ModelWeights.of(file, config), pool);
 *     Sequence s = new Sequence(cpu.newCache(KvType.F32, 256));
 *     cpu.step(cpu.newActivations(16, 256, false), Batch.of(s, ids, 0, ids.length, true), logits);   // logits of every token
 * }
 * }</pre>
 */
public final class CpuBackend implements Backend {
    private final ModelConfig config;
    private final ModelWeights weights;
    private final WorkerPool pool;
    /** The packed copies the products read, or {@code null}. */
    private final PackedCopies copies;
    /** Per {@link RopeFrequencies.Kind} the model uses (else null): the inverse frequency of each rotated pair. */
    private final float[][] invFreq;
    private final Transformer transformer;
    /** Whether a one-token step has run (see {@link #warmDecode}). */
    private boolean decodeWarm;
    private boolean closed;

    /** A backend over {@code weights} as they are, on {@code pool}'s threads (which it does not close). */
    public CpuBackend(ModelConfig config, ModelWeights weights, WorkerPool pool) { this(config, weights, pool, null); }

    private CpuBackend(ModelConfig config, ModelWeights weights, WorkerPool pool, PackedCopies copies) {
        this.config = config;
        this.weights = weights;
        this.pool = pool;
        this.copies = copies;
        this.invFreq = new float[RopeFrequencies.Kind.values().length][];
        for (RopeFrequencies.Kind kind : RopeFrequencies.Kind.values()) {
            boolean used = switch (kind) {
                case GLOBAL -> true;
                case GLOBAL_LONG -> config.ropeScaling().type() == RopeScaling.Type.LONGROPE;
                case LOCAL -> config.window().localRopeBase() > 0;
            };
            if (used) invFreq[kind.ordinal()] = RopeFrequencies.inverse(config, weights, kind);
        }
        this.transformer = new Transformer(config, weights, pool);
    }

    /**
     * A backend whose matrices of the types with a kernel layout (Q4_0, Q4_K, Q6_K, ...) are read from packed copies
     * ({@link ModelWeights#packed}), made now by {@code pool}'s threads and freed by {@link #close}.
     */
    public static CpuBackend withDecodeCopies(ModelConfig config, ModelWeights weights, WorkerPool pool) {
        return withDecodeCopies(config, weights, PackedCopies.open(null, null, pool), pool);
    }

    /**
     * A backend whose matrices of the types with a kernel layout are read from {@code copies} (packed now, or mapped
     * from a cache file), which it closes with itself.
     */
    public static CpuBackend withDecodeCopies(ModelConfig config, ModelWeights weights, PackedCopies copies, WorkerPool pool) {
        try {
            return new CpuBackend(config, weights.packed(copies), pool, copies);
        } catch (RuntimeException e) {
            copies.close();
            throw e;
        }
    }

    @Override
    public Device device() { return Device.CPU; }

    @Override
    public ModelConfig config() { return config; }

    /** Where the packed copies came from (packed now or mapped from a cache file), or null without copies. */
    public PackedCopies copies() { return copies; }

    /** The weights the products read. */
    public ModelWeights weights() { return weights; }

    /** The threads that steps split their work over; hooks may use them too (they run between the step's jobs). */
    public WorkerPool pool() { return pool; }

    @Override
    public HeapKvCache newCache(KvType type, int capacity) {
        return HeapKvCache.allocate(type, config.blockCount(), capacity, config.kvDim());
    }

    /** {@inheritDoc} With {@code fixedOrder} every product goes through the panel GEMM ({@link dev.vera4j.simd.MatMul}). */
    @Override
    public CpuActivations newActivations(int maxTokens, int maxContext, boolean fixedOrder) {
        CpuActivations a = new CpuActivations(this, maxTokens, maxContext, fixedOrder);
        if (!fixedOrder) warmDecode(a);
        return a;
    }

    @Override
    public synchronized void step(Activations activations, Batch batch, float[] logits) {
        CpuActivations s = checked(activations, batch);
        if (logits.length < (long) batch.logitsRows() * config.vocabSize()) throw new IllegalArgumentException("logits array too small");
        transformer.step(s, batch, logits);
    }

    /**
     * Runs block {@code layer} alone over the batch's rows from {@code input}, the residual stream entering it
     * ({@code tokenCount × dim}, as {@code BLOCK_INPUT} records it), exactly as {@link #step} does: the sequences'
     * hooks and recorders see it, and its keys and values are stored at the positions from each cache's length
     * (which is not advanced). Gradient checkpointing recomputes a block's activations this way.
     */
    public synchronized void block(Activations activations, Batch batch, int layer, float[] input) {
        CpuActivations s = checked(activations, batch);
        if (layer < 0 || layer >= config.blockCount()) throw new IllegalArgumentException("no block " + layer);
        System.arraycopy(input, 0, s.x, 0, batch.tokenCount() * config.dim());
        s.matMul.severalSequences(batch.size() > 1);
        transformer.block(s, batch, layer);
    }

    /** The activations as this backend's, after checking that the batch fits them and its caches. */
    private CpuActivations checked(Activations activations, Batch b) {
        if (!(activations instanceof CpuActivations s) || s.backend != this) throw new IllegalArgumentException("the activations were not made by this backend");
        int n = b.tokenCount();
        if (n < 1 || n > s.maxTokens) throw new IllegalArgumentException("batch of " + n + " tokens; these activations take 1 to " + s.maxTokens);
        for (int e = 0; e < b.size(); e++) {
            KvCache cache = b.sequence(e).cache();
            if (!(cache instanceof HeapKvCache) || cache.layers() != config.blockCount() || cache.kvDim() != config.kvDim()) {
                throw new IllegalArgumentException("the KV cache of batch entry " + e + " was not made by this backend");
            }
            cache.ensureRoom(b.count(e));
            if (cache.capacity() > s.maxContext) {
                throw new IllegalArgumentException("cache of " + cache.capacity() + " positions exceeds the activations' context " + s.maxContext);
            }
        }
        return s;
    }

    /**
     * A rotary embedding of this model's heads per {@link RopeFrequencies.Kind} it uses (else null); mutable (each
     * holds the current position's tables), one set per activations.
     */
    Rope[] newRopes() {
        Rope[] ropes = new Rope[invFreq.length];
        for (int i = 0; i < ropes.length; i++) {
            if (invFreq[i] == null) continue;
            float magnitude = i == RopeFrequencies.Kind.LOCAL.ordinal() ? 1f : config.ropeScaling().attnFactor();
            ropes[i] = new Rope(config.ropeType() == RopeType.NORM ? Rope.Mode.NORM : Rope.Mode.NEOX, config.headDim(), invFreq[i], magnitude);
        }
        return ropes;
    }

    /**
     * Runs one token through the model once per backend, on a throwaway one-position cache, before the first caller
     * uses one-token steps. The JIT then compiles the one-token kernels from a one-token pass. Measured: when a prompt
     * of 16 or more tokens ran first, C2 compiled the Q4_0 int8 kernel to 76 kB of code where it is otherwise 12 kB,
     * and every later token decoded at half speed (1B Q4_0: 16–19 instead of 36–43 tok/s), apparently because the
     * Vector API's shared internals carried the prefill kernels' type profiles into that compilation.
     */
    private synchronized void warmDecode(CpuActivations a) {
        if (decodeWarm) return;
        Sequence scratch = new Sequence(newCache(KvType.F32, 1));
        transformer.step(a, Batch.of(scratch, new int[] {0}, 0, 1, false), new float[config.vocabSize()]);
        decodeWarm = true;
    }

    /** Frees the packed copies, if this backend has them; the pool and the mapping belong to the caller. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (copies != null) copies.close();
    }
}
