package dev.vera4j.engine.api;

import dev.vera4j.engine.backend.Backend;
import dev.vera4j.engine.backend.BackendProvider;
import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.ModelWeights;
import dev.vera4j.engine.model.PackedCopies;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.engine.model.ModelConfigException;
import dev.vera4j.engine.tokenizer.StreamingDecoder;
import dev.vera4j.engine.tokenizer.Tokenizer;
import dev.vera4j.engine.tokenizer.Tokenizers;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufMetadata;
import dev.vera4j.simd.KernelPrimer;
import dev.vera4j.simd.WorkerPool;

import java.nio.file.Path;

/**
 * A loaded GGUF model: the mapping, its configuration and tokenizer, the {@link Backend} that runs it on its device
 * (the CPU unless {@link LoadOptions#device()} says otherwise), and a {@link WorkerPool} of its own. Closing it
 * releases the backend's memory, stops the threads and unmaps the file; sessions must not be used afterwards. Forward
 * passes of a model's sessions run one at a time (they share the backend); two models are independent.
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("stories260K.gguf"), 4)) {
 *     Session s = model.newSession(2048, KvType.F16);
 *     Generation g = s.generate("Once upon a time", GenerateOptions.greedy(64), (id, text) -> System.out.print(text));
 * }
 * try (Model gpu = Model.load(Path.of("llama-1b.gguf"), LoadOptions.builder().device("cuda").build())) { ... }
 * }</pre>
 */
public final class Model implements AutoCloseable {
    private final Path path;
    private final GgufFile file;
    private final ModelConfig config;
    private final Backend backend;
    private final WorkerPool pool;
    private final Tokenizer tokenizer;
    private volatile boolean closed;

    private Model(Path path, GgufFile file, ModelConfig config, Backend backend, Tokenizer tokenizer, WorkerPool pool) {
        this.path = path;
        this.file = file;
        this.config = config;
        this.backend = backend;
        this.tokenizer = tokenizer;
        this.pool = pool;
    }

    /** Loads onto the CPU with one thread per available processor. */
    public static Model load(Path path) { return load(path, LoadOptions.defaults()); }

    /**
     * Maps {@code path}, checks its configuration and tensors, and builds its tokenizer.
     *
     * <p>Matrices of the types with a kernel layout (Q4_0, Q4_K, Q6_K, ...) get a packed copy for faster generation
     * (see {@link #load(Path, int, boolean)}).
     *
     * @param threads threads of the model's worker pool (the caller's thread included)
     * @throws dev.vera4j.gguf.GgufFormatException if the file is not valid GGUF
     * @throws dev.vera4j.engine.model.ModelConfigException if the model's metadata or tensors do not fit together
     * @throws dev.vera4j.engine.tokenizer.TokenizerException if its vocabulary is unusable
     */
    public static Model load(Path path, int threads) {
        return load(path, threads, true);
    }

    /**
     * As {@link #load(Path, int)}; with {@code decodeCopies} false no weight is copied: generation is then slower on
     * AVX-512 machines (about 1.2× for Q4_0, 2–4× for the K-quants). With copies, the mapped pages of the copied matrices are released after
     * loading and products read only the copies, so resident memory stays about the same; loading takes longer.
     * Training keeps the mapping (its products run in a fixed order over the GGUF rows).
     */
    public static Model load(Path path, int threads, boolean decodeCopies) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        return load(path, LoadOptions.builder().threads(threads).decodeCopies(decodeCopies).build());
    }

    /**
     * Maps {@code path}, checks its configuration and tensors, builds its tokenizer, and loads the weights onto
     * {@code options.device()}: the built-in CPU backend, or the backend the {@link BackendProvider} of that device's
     * kind makes.
     *
     * @throws dev.vera4j.engine.backend.DeviceException if the device cannot be used, e.g. "no NVIDIA driver found (...)",
     *                                                   or "no CUDA backend in this build" without the {@code cuda} module
     * @throws dev.vera4j.gguf.GgufFormatException if the file is not valid GGUF
     * @throws dev.vera4j.engine.model.ModelConfigException if the model's metadata or tensors do not fit together
     * @throws dev.vera4j.engine.tokenizer.TokenizerException if its vocabulary is unusable
     */
    public static Model load(Path path, LoadOptions options) {
        BackendProvider provider = options.device().isCpu() ? null : BackendProvider.of(options.device().kind());
        GgufFile file = GgufFile.open(path);
        WorkerPool pool = null;
        KernelPrimer primer = null;
        try {
            ModelConfig config = ModelConfig.fromMetadata(file.metadata());
            ModelWeights weights = ModelWeights.of(file, config);
            // the one-token kernels get compiled while the tokenizer and the packed copies load, not on the first token
            if (provider == null && options.decodeCopies()) primer = KernelPrimer.start(weights.matrices());
            Tokenizer tokenizer = Tokenizers.fromMetadata(file.metadata());
            if (tokenizer.vocabSize() != config.vocabSize()) {
                throw new ModelConfigException("the tokenizer has " + tokenizer.vocabSize() + " tokens, the model " + config.vocabSize());
            }
            pool = new WorkerPool(options.threads());
            Backend backend;
            if (provider != null) backend = provider.open(options.device(), config, weights);
            else if (options.decodeCopies()) backend = withCopies(file, config, weights, pool, options.packCache());
            else backend = new CpuBackend(config, weights, pool);
            return new Model(path, file, config, backend, tokenizer, pool);
        } catch (RuntimeException e) {
            if (pool != null) pool.close();
            file.close();
            throw e;
        } finally {
            if (primer != null) primer.close();
        }
    }

    /** The CPU backend over packed copies, kept in (or mapped from) {@code cacheFolder} when it is not null. */
    private static CpuBackend withCopies(GgufFile file, ModelConfig config, ModelWeights weights, WorkerPool pool, Path cacheFolder) {
        PackedCopies copies = PackedCopies.open(file, cacheFolder, pool);
        CpuBackend backend = CpuBackend.withDecodeCopies(config, weights, copies, pool);
        copies.save();
        return backend;
    }

    public Path path() { return path; }

    public ModelConfig config() { return config; }

    public GgufMetadata metadata() { return file.metadata(); }

    /** What the model is and how it runs here (from the header already read: nothing is parsed again). */
    public ModelInfo info() { checkOpen(); return ModelInfo.of(path, file, threads()); }

    /** The backend that runs this model's forward passes; {@code instanceof CpuBackend} on the CPU. */
    public Backend backend() { checkOpen(); return backend; }

    /** The model's tokenizer, built from its GGUF metadata. */
    public Tokenizer tokenizer() { return tokenizer; }

    public int threads() { return pool.threads(); }

    /**
     * The model's host threads: the CPU backend's kernels run on them, and hooks that compute on the host may split
     * their work over them too (hooks run between a step's jobs).
     */
    public WorkerPool pool() { return pool; }

    /** A session with a context of {@code min(2048, the model's context length)} positions and an F16 cache. */
    public Session newSession() { return newSession(Math.min(2048, config.contextLength()), KvType.F16); }

    /** A session whose KV cache holds {@code contextLength} positions of {@code kvType}. */
    public Session newSession(int contextLength, KvType kvType) { return newSession(contextLength, kvType, 128); }

    /**
     * A session that processes prompts in batches of up to {@code batchSize} tokens.
     *
     * @throws IllegalArgumentException if a size is not positive
     */
    public Session newSession(int contextLength, KvType kvType, int batchSize) {
        checkOpen();
        if (contextLength < 1) throw new IllegalArgumentException("context length must be positive, got " + contextLength);
        return new Session(this, contextLength, kvType, Math.min(batchSize, contextLength));
    }

    /** Whether {@code id} ends generation (EOS, EOT, ...). */
    public boolean isEndOfGeneration(int id) { return tokenizer.isEndOfGeneration(id); }

    /**
     * A decoder for text that continues earlier tokens: unlike at the start of a text, SPM's leading space of the first
     * piece is kept (" there" after "Once upon a time").
     */
    StreamingDecoder continuationDecoder() {
        StreamingDecoder d = tokenizer.streamingDecoder();
        // a control token yields no text but ends the decoder's start-of-text state
        if (tokenizer.bos() >= 0) d.accept(tokenizer.bos());
        return d;
    }

    void checkOpen() {
        if (closed) throw new IllegalStateException("model " + path + " is closed");
    }

    @Override
    public void close() {
        if (closed) return;
        synchronized (this) {
            closed = true;
            backend.close();
            pool.close();
            file.close();
        }
    }

    @Override
    public String toString() { return "Model[" + path + ", " + config.architecture() + ", " + config.blockCount() + " layers]"; }
}
