package dev.vera4j.engine;

import dev.vera4j.engine.api.Cancellation;
import dev.vera4j.engine.api.Chat;
import dev.vera4j.engine.api.EngineException;
import dev.vera4j.engine.api.GenerateOptions;
import dev.vera4j.engine.api.Generations;
import dev.vera4j.engine.api.LoadOptions;
import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.api.ModelInfo;
import dev.vera4j.engine.api.Reply;
import dev.vera4j.engine.api.Session;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.simd.WorkerPool;

import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The embedding entry point: load a GGUF model, chat with it or generate text in one call.
 *
 * <p>Thread-safety: a loaded model may be shared by any number of threads; give each thread its own {@link Chat}
 * (a chat is one conversation with its own KV cache). {@link #generate} may be called from several threads at once.
 * Forward passes of one model take turns on its worker pool, so more threads add throughput only across models.
 *
 * <pre>{@code
 * try (Vera4j model = Vera4j.load(Path.of("stories260K.gguf"))) {
 *     Reply r = model.generate("Once upon a time", GenerateOptions.builder().maxTokens(32).seed(42).build());
 *     System.out.println(r.text());
 *     Chat chat = model.chat().adapter(VeraAdapters.load(Path.of("style.gguf"))).temperature(0.7f).build();
 *     chat.send("Hi", System.out::print);
 * }
 * try (Vera4j gpu = Vera4j.load(Path.of("llama-1b.gguf"), LoadOptions.builder().device("cuda").build())) { ... }
 * }</pre>
 */
public final class Vera4j implements AutoCloseable {
    /** The message when the JVM lacks {@code jdk.incubator.vector}, which the kernels are written in. */
    public static final String VECTOR_API_MISSING = "the Vector API module is not active: start java with"
            + " --add-modules jdk.incubator.vector (java -jar vera4j.jar adds it by itself)";

    private final Model model;
    private final ModelInfo info;

    private Vera4j(Model model, ModelInfo info) {
        this.model = model;
        this.info = info;
    }

    /** Loads with one thread per available processor. */
    public static Vera4j load(Path path) { return load(path, WorkerPool.defaultThreads()); }

    /**
     * Maps the model file (weights are not copied) and checks it.
     *
     * @throws RuntimeException with a one-line message when the file is missing, not GGUF, or an unsupported model,
     *                          or when the JVM runs without the Vector API module
     */
    public static Vera4j load(Path path, int threads) {
        return load(path, LoadOptions.builder().threads(threads).build());
    }

    /**
     * Maps the model file and loads it onto {@code options.device()} (the CPU by default; {@code cuda} or
     * {@code cuda:N} through the CUDA backend when the build has one).
     *
     * @throws RuntimeException with a one-line message when the file is missing, not GGUF, or an unsupported model,
     *                          when the device cannot be used ("no NVIDIA driver found (...)", "no CUDA backend in this
     *                          build" without the {@code cuda} module, ...), or when the JVM
     *                          runs without the Vector API module
     */
    public static Vera4j load(Path path, LoadOptions options) {
        if (simdLanes() == 0) throw new EngineException(VECTOR_API_MISSING);
        Model model = Model.load(path, options);
        return new Vera4j(model, model.info());
    }

    /**
     * Reads what {@link #info()} reports without loading the model: architecture, size, quantization, SIMD width.
     *
     * @throws RuntimeException with a one-line message when the file is missing or not GGUF
     */
    public static ModelInfo describe(Path path, int threads) {
        try (GgufFile f = GgufFile.open(path)) {
            return ModelInfo.of(path, f, threads);
        }
    }

    /** Float lanes of the preferred Vector API species, or 0 when the incubator module is not in the boot layer. */
    public static int simdLanes() { return ModelInfo.activeSimdLanes(); }

    public ModelInfo info() { return info; }

    /** A builder for a new conversation with this model. */
    public Chat.Builder chat() { return Chat.builder(model); }

    /** One-shot generation: continues {@code prompt} (with BOS) in a fresh context sized for prompt and answer. */
    public Reply generate(String prompt, GenerateOptions options) { return generate(prompt, options, text -> { }, new Cancellation()); }

    /**
     * One-shot generation with streamed text and a cancellation flag (checked between tokens).
     *
     * @throws RuntimeException with a one-line message when the prompt does not fit the model's context
     */
    public Reply generate(String prompt, GenerateOptions options, Consumer<String> onText, Cancellation cancel) {
        int[] ids = model.tokenizer().encode(prompt, true, true);
        if (ids.length == 0) throw new IllegalArgumentException("empty prompt: nothing to generate from");
        long wanted = (long) ids.length + Math.max(1, options.maxTokens());
        int ctx = (int) Math.min(model.config().contextLength(), wanted);
        try (Session s = model.newSession(Math.max(ctx, ids.length), KvType.F16, 128)) {   // on a GPU: device memory freed now
            return Generations.run(s, ids, options, onText, cancel);
        }
    }

    /** Token ids of {@code text} as the model sees it (with BOS). */
    public int[] tokenize(String text) { return model.tokenizer().encode(text, true, true); }

    /** Stops the worker threads and unmaps the file; chats of this model must not be used afterwards. */
    @Override
    public void close() { model.close(); }

    @Override
    public String toString() { return "Vera4j[" + info.path() + ", " + info.architecture() + "]"; }
}
