package dev.vera4j.vera;

import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.engine.model.ModelWeights;
import dev.vera4j.engine.model.TinyModels;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.simd.WorkerPool;

import java.io.IOException;
import java.nio.file.Path;

/**
 * One of the engine tests' tiny models ({@link TinyModels}) written into {@code dir} and opened for adapters: its file,
 * a two-thread pool, its configuration, a CPU backend and its fingerprint.
 *
 * <pre>{@code
 * try (TinyBase m = TinyBase.open("tiny-phi3", dir)) { ... m.fingerprint().targets() ... }
 * }</pre>
 */
public record TinyBase(GgufFile file, WorkerPool pool, ModelConfig config, CpuBackend backend, BaseFingerprint fingerprint)
        implements AutoCloseable {
    /** The families beyond llama's and qwen's: Gemma 2 and 3, Phi-3, Mixtral-style llama, Qwen2-MoE, Qwen3-MoE. */
    public static final java.util.List<String> FAMILIES = java.util.List.of("tiny-gemma2", "tiny-gemma3", "tiny-phi3", "tiny-mixtral",
            "tiny-qwen2moe", "tiny-qwen3moe");

    public static TinyBase open(String name, Path dir) throws IOException {
        GgufFile f = GgufFile.open(TinyModels.write(name, dir));
        WorkerPool pool = new WorkerPool(2);
        ModelConfig c = ModelConfig.fromMetadata(f.metadata());
        return new TinyBase(f, pool, c, new CpuBackend(c, ModelWeights.of(f, c), pool), BaseFingerprint.of(f));
    }

    @Override
    public void close() {
        pool.close();
        file.close();
    }
}
