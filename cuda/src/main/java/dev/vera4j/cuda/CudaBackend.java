package dev.vera4j.cuda;

import dev.vera4j.engine.backend.Activations;
import dev.vera4j.engine.backend.Backend;
import dev.vera4j.engine.backend.Batch;
import dev.vera4j.engine.backend.Device;
import dev.vera4j.engine.backend.DeviceException;
import dev.vera4j.engine.backend.Sequence;
import dev.vera4j.engine.kv.KvCache;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.engine.model.ModelConfigException;
import dev.vera4j.engine.model.ModelWeights;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * The engine's {@link Backend} on an NVIDIA GPU ({@code --device cuda:N}): the model's weights in device memory
 * ({@link DeviceWeights}), a {@link CudaKvCache} per sequence, a {@link CudaForward} per {@link CudaActivations}, and
 * each step's entries run one sequence at a time through {@link CudaForward#forward}, with that sequence's adapters
 * on the device ({@link DeviceHooks}). Made by {@link CudaBackendProvider}, which {@code Model.load} finds through
 * {@link java.util.ServiceLoader}.
 *
 * <p>What the device cannot run is refused with one line rather than run on the host: an activation recorder
 * (training, activation capture), a hook without a {@link dev.vera4j.engine.model.LinearHook#lowRank() low-rank form},
 * a KV cache of another type than F16. Steps run one at a time ({@code synchronized}: they share the device's stream
 * of each activations and the hooks' uploads). Failures of the driver and of device memory come out as
 * {@link DeviceException}s.
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("llama-1b.gguf"), LoadOptions.builder().device("cuda:0").build())) {
 *     Backend gpu = model.backend();                 // a CudaBackend
 *     Sequence s = new Sequence(gpu.newCache(KvType.F16, 2048));
 *     Activations act = gpu.newActivations(512, 2048, false);
 *     gpu.step(act, Batch.of(s, promptIds, 0, promptIds.length, false), logits);
 * }
 * }</pre>
 */
public final class CudaBackend implements Backend {
    private final Device device;
    private final CudaDevice gpu;
    private final ModelConfig config;
    private final DeviceWeights weights;
    private final DeviceHooks hooks;
    /** What this backend made and has not seen closed: it closes them with itself. */
    private final Set<CudaKvCache> caches = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<CudaActivations> scratch = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean closed;

    private CudaBackend(Device device, CudaDevice gpu, ModelConfig config, DeviceWeights weights) {
        this.device = device;
        this.gpu = gpu;
        this.config = config;
        this.weights = weights;
        this.hooks = new DeviceHooks(gpu, config.blockCount());
    }

    /**
     * Opens GPU {@code device.index()} and uploads the model.
     *
     * @param weights the mapped GGUF's tensors; copied to the device, not kept
     * @throws DeviceException with one line when the GPU cannot be used: no NVIDIA driver, no such device, a driver
     *                         or GPU too old for the kernels, a model family or tensor type without kernels, too little
     *                         device memory (bytes needed and free)
     */
    public static CudaBackend open(Device device, ModelConfig config, ModelWeights weights) {
        if (!device.kind().equals("cuda")) throw new IllegalArgumentException("not a CUDA device: " + device);
        CudaDevice gpu = null;
        try {
            gpu = CudaDevice.open(device.index());
            GpuModels.require(config);
            if (config.headDim() > CudaKernels.MAX_HEAD_DIM) {
                throw new ModelConfigException("head dimension " + config.headDim() + " exceeds the GPU attention kernel's "
                        + CudaKernels.MAX_HEAD_DIM + ": use --device cpu");
            }
            // loads the kernels once before the upload: a driver or GPU too old for them fails here, in seconds, not
            // after minutes of copying weights or at the first prompt
            try (CudaStream s = gpu.newStream(); CudaKernels ignored = CudaKernels.load(s)) {
                s.synchronize();
            }
            return new CudaBackend(device, gpu, config, DeviceWeights.upload(gpu, config, weights));
        } catch (CudaUnavailableException | CudaException | DeviceMemoryException | ModelConfigException e) {
            if (gpu != null) gpu.close();
            throw new DeviceException(e.getMessage(), e);
        } catch (RuntimeException e) {
            if (gpu != null) gpu.close();
            throw e;
        }
    }

    @Override
    public Device device() { return device; }

    @Override
    public ModelConfig config() { return config; }

    /** One line for a load report, e.g. {@code 1.2 GiB on cuda:0 (NVIDIA H200) (converted Q5_K -> F16: 112 matrices)}. */
    public String describe() { return weights.describe(); }

    /** Device bytes this backend holds now: weights, caches, activations and adapters. */
    public long allocatedBytes() { return gpu.allocatedBytes(); }

    /** The device it opened (its own handle on it: {@link CudaDevice#allocatedBytes()} counts this backend's only). */
    CudaDevice gpu() { return gpu; }

    /**
     * {@inheritDoc}
     *
     * @param type F16: the device's attention kernel reads halves; F32 is refused (not silently halved)
     * @throws IllegalArgumentException for {@link KvType#F32} or a capacity that is not positive
     * @throws DeviceException if the device has too little free memory
     */
    @Override
    public synchronized CudaKvCache newCache(KvType type, int capacity) {
        checkOpen();
        if (type != KvType.F16) {
            throw new IllegalArgumentException("the CUDA backend keeps the KV cache in F16, not " + type + ": use --kv-type f16");
        }
        try {
            CudaKvCache cache = new CudaKvCache(this, DeviceKvCache.allocate(gpu, config.blockCount(), capacity, config.kvDim()));
            caches.add(cache);
            return cache;
        } catch (CudaException | DeviceMemoryException e) {
            throw new DeviceException(e.getMessage(), e);
        }
    }

    /**
     * {@inheritDoc} {@code fixedOrder} changes nothing here: the kernels add in one order in every run (no atomics),
     * so every step is reproducible as it is.
     *
     * @throws DeviceException if the device has too little free memory
     */
    @Override
    public synchronized CudaActivations newActivations(int maxTokens, int maxContext, boolean fixedOrder) {
        checkOpen();
        if (maxTokens < 1 || maxContext < 1) throw new IllegalArgumentException("maxTokens and maxContext must be positive");
        try {
            CudaActivations a = new CudaActivations(this, new CudaForward(weights, config, maxTokens), maxContext);
            scratch.add(a);
            return a;
        } catch (CudaUnavailableException | CudaException | DeviceMemoryException e) {
            throw new DeviceException(e.getMessage(), e);
        }
    }

    /**
     * {@inheritDoc} Everything is checked before anything runs: the activations, every cache (and its room), the
     * logits' size, every token, and every sequence's hooks (uploaded now if new), so a refused step stores nothing.
     *
     * @throws DeviceException if a sequence has a recorder or a hook that the GPU cannot run, or the driver fails
     */
    @Override
    public synchronized void step(Activations activations, Batch batch, float[] logits) {
        checkOpen();
        CudaActivations a = checked(activations, batch);
        int vocab = config.vocabSize();
        if (logits.length < (long) batch.logitsRows() * vocab) throw new IllegalArgumentException("logits array too small");
        for (int r = 0; r < batch.tokenCount(); r++) {
            int t = batch.token(r);
            if (t < 0 || t >= vocab) throw new IllegalArgumentException("token id " + t + " is outside the vocabulary [0, " + vocab + ")");
        }
        try {
            for (int e = 0; e < batch.size(); e++) {
                Sequence s = batch.sequence(e);
                if (s.recorder() != null) {
                    throw new DeviceException("activation recorders (training, activation capture) cannot run on " + device + ": use --device cpu");
                }
                for (int h = 0; h < s.hookCount(); h++) for (DeviceVeraAdapter d : hooks.of(s.hook(h))) a.forward().requireFits(d);
            }
            for (int e = 0; e < batch.size(); e++) run(a, batch, e, logits);
        } catch (CudaUnavailableException | CudaException | DeviceMemoryException e) {
            throw new DeviceException(e.getMessage(), e);
        } finally {
            hooks.trim(batch);
        }
    }

    /** Entry {@code e} of the batch through the pass, with its sequence's adapters. */
    private void run(CudaActivations a, Batch batch, int e, float[] logits) {
        Sequence s = batch.sequence(e);
        int adapters = 0;
        for (int h = 0; h < s.hookCount(); h++) {
            DeviceVeraAdapter[] d = hooks.of(s.hook(h));
            a.ensureAdapters(adapters + d.length);
            System.arraycopy(d, 0, a.adapters, adapters, d.length);
            adapters += d.length;
        }
        CudaForward forward = a.forward();
        forward.setAdapters(a.adapters, adapters);
        int n = batch.count(e), first = batch.first(e);
        for (int i = 0; i < n; i++) a.tokens[i] = batch.token(first + i);
        CudaKvCache cache = (CudaKvCache) s.cache();
        forward.forward(a.tokens, 0, n, cache.synced(), logits, batch.logitsRow(e) * config.vocabSize(), batch.allLogits(e));
        cache.stored(n);
    }

    /** The activations as this backend's, after checking that the batch fits them and its caches. */
    private CudaActivations checked(Activations activations, Batch b) {
        if (!(activations instanceof CudaActivations a) || a.backend() != this) throw new IllegalArgumentException("the activations were not made by this backend");
        if (a.isClosed()) throw new IllegalStateException("the activations are closed");
        int n = b.tokenCount();
        if (n < 1 || n > a.maxTokens()) throw new IllegalArgumentException("batch of " + n + " tokens; these activations take 1 to " + a.maxTokens());
        for (int e = 0; e < b.size(); e++) {
            KvCache cache = b.sequence(e).cache();
            if (!(cache instanceof CudaKvCache c) || c.backend() != this) {
                throw new IllegalArgumentException("the KV cache of batch entry " + e + " was not made by this backend");
            }
            if (c.isClosed()) throw new IllegalStateException("the KV cache of batch entry " + e + " is closed");
            cache.ensureRoom(b.count(e));
            if (cache.capacity() > a.maxContext()) {
                throw new IllegalArgumentException("cache of " + cache.capacity() + " positions exceeds the activations' context " + a.maxContext());
            }
        }
        return a;
    }

    /** Called by a cache or activations that closes itself (holding this backend's lock). */
    void forget(CudaKvCache cache) { caches.remove(cache); }

    void forget(CudaActivations activations) { scratch.remove(activations); }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("the CUDA backend on " + device + " is closed");
    }

    /** Frees every cache, activations and adapter upload made here, the weights, and the device's context. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        List<AutoCloseable> all = new ArrayList<>(scratch);
        all.addAll(caches);
        all.add(hooks);
        all.add(weights);
        all.add(gpu);
        RuntimeException first = null;
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                if (first == null) first = e instanceof RuntimeException r ? r : new IllegalStateException(e);
            }
        }
        if (first != null) throw first;
    }

    @Override
    public String toString() { return "CudaBackend[" + weights.describe() + "]"; }
}
