package dev.vera4j.spark;

import dev.vera4j.engine.api.Model;
import dev.vera4j.simd.WorkerPool;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The base models of this JVM (a Spark executor, or the driver in local mode): one memory-mapped {@link Model} per
 * {@link Key}, loaded by the first task that needs it and kept until the JVM exits (a shutdown hook closes them), so
 * a thousand tasks over one base model map it once. A model runs one forward pass at a time (its backend and worker
 * threads are shared), so tasks of one executor take turns on it through {@link #use}, each using all of the
 * model's threads; objects built over a model (a trainer's buffers, prepared adapters) are kept with it by
 * {@link Loaded#cached}.
 *
 * <p>This is the module's one piece of JVM-wide state: Spark deserializes task closures on the executors, and the
 * mapped model must outlive every task, so it lives here and nowhere else.
 *
 * <pre>{@code
 * String text = ExecutorModels.use(new ExecutorModels.Key("/models/base.gguf", 0, true),
 *         m -> m.model().newSession().generate("Once upon a time", GenerateOptions.greedy(32), null).text());
 * }</pre>
 */
public final class ExecutorModels {
    /**
     * Which model: its path on the executor, the worker threads ({@code 0}: the executor's processors) and whether
     * decode copies are made (for generation; training reads the mapped rows).
     */
    public record Key(String path, int threads, boolean decodeCopies) implements Serializable {
        public Key {
            if (threads < 0) throw new IllegalArgumentException("threads must be >= 0, got " + threads);
        }
    }

    /** A loaded model and what tasks keep with it; used only inside {@link #use}, by one task at a time. */
    public static final class Loaded {
        /** Objects kept per model, least recently used first; few (one trainer per run, one per adapter file). */
        private static final int KEPT = 64;
        private final Model model;
        private final Map<Object, Object> kept = new LinkedHashMap<>(16, 0.75f, true);

        Loaded(Model model) { this.model = model; }

        public Model model() { return model; }

        /** The object kept under {@code key}, made by {@code make} the first time (the oldest are dropped beyond a few dozen). */
        @SuppressWarnings("unchecked")
        public <V> V cached(Object key, Supplier<V> make) {
            Object v = kept.get(key);
            if (v == null) {
                v = make.get();
                kept.put(key, v);
                if (kept.size() > KEPT) kept.remove(kept.keySet().iterator().next());
            }
            return (V) v;
        }
    }

    private static final ExecutorModels JVM = new ExecutorModels();

    private final Map<Key, Loaded> models = new ConcurrentHashMap<>();

    private ExecutorModels() {
        Runtime.getRuntime().addShutdownHook(new Thread(this::closeAll, "vera4j-spark-models"));
    }

    /**
     * Runs {@code work} on the model of {@code key}, loading it first if this JVM has not; tasks using the same model
     * run one after another.
     *
     * @throws IllegalArgumentException if the file is not on this machine
     */
    public static <T> T use(Key key, Function<Loaded, T> work) {
        Loaded loaded = JVM.models.computeIfAbsent(key, ExecutorModels::load);
        synchronized (loaded) {
            return work.apply(loaded);
        }
    }

    private static Loaded load(Key key) {
        Path p = Path.of(key.path());
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException("model " + key.path() + " not found on this machine (ship it with --files or put it on shared storage)");
        }
        int threads = key.threads() == 0 ? WorkerPool.defaultThreads() : key.threads();
        return new Loaded(Model.load(p, threads, key.decodeCopies()));
    }

    private void closeAll() {
        for (Loaded l : models.values()) {
            synchronized (l) {
                l.model.close();
            }
        }
    }
}
