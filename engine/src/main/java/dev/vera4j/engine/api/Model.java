package dev.vera4j.engine.api;

import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.LlamaWeights;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.engine.model.Transformer;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufMetadata;
import dev.vera4j.simd.WorkerPool;

import java.nio.file.Path;

/**
 * A loaded GGUF model: the mapping, its configuration, weights (views of the mapping), and a {@link WorkerPool} of
 * its own. Closing it stops the threads and unmaps the file; sessions must not be used afterwards. Forward passes of
 * a model's sessions run one at a time (they share the pool); two models are independent.
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("stories260K.gguf"), 4)) {
 *     Session s = model.newSession(2048, KvType.F16);
 *     Generation g = s.generate(promptIds, GenerateOptions.greedy(64), (id, text) -> System.out.print(text));
 * }
 * }</pre>
 */
public final class Model implements AutoCloseable {
    private final Path path;
    private final GgufFile file;
    private final ModelConfig config;
    private final Transformer transformer;
    private final WorkerPool pool;
    private final int eos;
    private volatile boolean closed;

    private Model(Path path, GgufFile file, ModelConfig config, Transformer transformer, WorkerPool pool) {
        this.path = path;
        this.file = file;
        this.config = config;
        this.transformer = transformer;
        this.pool = pool;
        this.eos = file.metadata().getIntOr("tokenizer.ggml.eos_token_id", -1);
    }

    /** Loads with one thread per available processor. */
    public static Model load(Path path) { return load(path, WorkerPool.defaultThreads()); }

    /**
     * Maps {@code path} and checks its configuration and tensors.
     *
     * @param threads threads of the model's worker pool (the caller's thread included)
     * @throws dev.vera4j.gguf.GgufFormatException if the file is not valid GGUF
     * @throws dev.vera4j.engine.model.ModelConfigException if the model's metadata or tensors do not fit together
     */
    public static Model load(Path path, int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        GgufFile file = GgufFile.open(path);
        try {
            ModelConfig config = ModelConfig.fromMetadata(file.metadata());
            LlamaWeights weights = LlamaWeights.of(file, config);
            WorkerPool pool = new WorkerPool(threads);
            return new Model(path, file, config, new Transformer(config, weights, pool), pool);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    public Path path() { return path; }

    public ModelConfig config() { return config; }

    public GgufMetadata metadata() { return file.metadata(); }

    public Transformer transformer() { checkOpen(); return transformer; }

    public int threads() { return pool.threads(); }

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

    /** Whether {@code id} ends generation (the model's EOS). */
    public boolean isEndOfGeneration(int id) { return id == eos; }

    /** A decoder of generated ids to text. */
    public TextDecoder newTextDecoder() {
        return new TextDecoder() {
            @Override public String accept(int id) { return ""; }
            @Override public String flush() { return ""; }
        };
    }

    void checkOpen() {
        if (closed) throw new IllegalStateException("model " + path + " is closed");
    }

    @Override
    public void close() {
        if (closed) return;
        synchronized (this) {
            closed = true;
            pool.close();
            file.close();
        }
    }

    @Override
    public String toString() { return "Model[" + path + ", " + config.architecture() + ", " + config.blockCount() + " layers]"; }
}
