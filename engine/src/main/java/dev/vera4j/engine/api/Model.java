package dev.vera4j.engine.api;

import dev.vera4j.engine.kv.KvCache;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.ForwardState;
import dev.vera4j.engine.model.LlamaWeights;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.engine.model.ModelConfigException;
import dev.vera4j.engine.model.Transformer;
import dev.vera4j.engine.tokenizer.StreamingDecoder;
import dev.vera4j.engine.tokenizer.Tokenizer;
import dev.vera4j.engine.tokenizer.Tokenizers;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufMetadata;
import dev.vera4j.simd.WorkerPool;

import java.lang.foreign.Arena;
import java.nio.file.Path;

/**
 * A loaded GGUF model: the mapping, its configuration, weights (views of the mapping), and a {@link WorkerPool} of
 * its own. Closing it stops the threads and unmaps the file; sessions must not be used afterwards. Forward passes of
 * a model's sessions run one at a time (they share the pool); two models are independent.
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("stories260K.gguf"), 4)) {
 *     Session s = model.newSession(2048, KvType.F16);
 *     Generation g = s.generate("Once upon a time", GenerateOptions.greedy(64), (id, text) -> System.out.print(text));
 * }
 * }</pre>
 */
public final class Model implements AutoCloseable {
    private final Path path;
    private final GgufFile file;
    private final ModelConfig config;
    private final Transformer transformer;
    private final WorkerPool pool;
    private final Tokenizer tokenizer;
    private volatile boolean closed;
    /** Whether a one-token pass has run (see {@link #warmDecode}). */
    private volatile boolean decodeWarm;

    /** Off-heap copies of weights in kernel layouts ({@link LlamaWeights#packed}); freed by {@link #close}. */
    private final Arena copies;

    private Model(Path path, GgufFile file, Arena copies, ModelConfig config, Transformer transformer, Tokenizer tokenizer, WorkerPool pool) {
        this.path = path;
        this.file = file;
        this.copies = copies;
        this.config = config;
        this.transformer = transformer;
        this.tokenizer = tokenizer;
        this.pool = pool;
    }

    /** Loads with one thread per available processor. */
    public static Model load(Path path) { return load(path, WorkerPool.defaultThreads()); }

    /**
     * Maps {@code path}, checks its configuration and tensors, and builds its tokenizer.
     *
     * <p>Q4_0 matrices get a copy with rows regrouped for faster generation (see {@link #load(Path, int, boolean)}).
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
     * As {@link #load(Path, int)}; with {@code decodeCopies} false no weight is copied: Q4_0 generation is then about
     * 1.2× slower on AVX-512 machines. With copies, the mapped pages of the copied matrices are released after
     * loading and products read only the copies, so resident memory stays about the same; loading takes longer.
     * Training keeps the mapping (its products run in a fixed order over the GGUF rows).
     */
    public static Model load(Path path, int threads, boolean decodeCopies) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        GgufFile file = GgufFile.open(path);
        Arena copies = Arena.ofShared();
        WorkerPool pool = null;
        try {
            ModelConfig config = ModelConfig.fromMetadata(file.metadata());
            LlamaWeights weights = LlamaWeights.of(file, config);
            Tokenizer tokenizer = Tokenizers.fromMetadata(file.metadata());
            if (tokenizer.vocabSize() != config.vocabSize()) {
                throw new ModelConfigException("the tokenizer has " + tokenizer.vocabSize() + " tokens, the model " + config.vocabSize());
            }
            pool = new WorkerPool(threads);
            if (decodeCopies) weights = weights.packed(copies, pool);
            return new Model(path, file, copies, config, new Transformer(config, weights, pool), tokenizer, pool);
        } catch (RuntimeException e) {
            if (pool != null) pool.close();
            copies.close();
            file.close();
            throw e;
        }
    }

    public Path path() { return path; }

    public ModelConfig config() { return config; }

    public GgufMetadata metadata() { return file.metadata(); }

    public Transformer transformer() { checkOpen(); return transformer; }

    /** The model's tokenizer, built from its GGUF metadata. */
    public Tokenizer tokenizer() { return tokenizer; }

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

    /**
     * Runs one token through the model once per model, on a throwaway one-position cache, before the first session
     * uses {@code state}. The JIT then compiles the one-token kernels from a one-token pass. Measured: when a prompt of
     * 16 or more tokens ran first, C2 compiled the Q4_0 int8 kernel to 76 kB of code where it is otherwise 12 kB, and
     * every later token decoded at half speed (1B Q4_0: 16–19 instead of 36–43 tok/s), apparently because the Vector
     * API's shared internals carried the prefill kernels' type profiles into that compilation.
     */
    void warmDecode(ForwardState state) {
        if (decodeWarm) return;
        synchronized (this) {
            if (decodeWarm) return;
            KvCache scratch = KvCache.allocate(KvType.F32, config.blockCount(), 1, config.kvDim());
            int token = Math.max(0, tokenizer.bos());
            transformer.forward(state, scratch, new int[]{token}, 0, 1, new float[config.vocabSize()], false);
            decodeWarm = true;
        }
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
            pool.close();
            copies.close();
            file.close();
        }
    }

    @Override
    public String toString() { return "Model[" + path + ", " + config.architecture() + ", " + config.blockCount() + " layers]"; }
}
