package dev.vera4j.engine.api;

import dev.vera4j.engine.backend.Device;
import dev.vera4j.engine.model.PackedCopies;
import dev.vera4j.simd.WorkerPool;

import java.nio.file.Path;

/**
 * How to load a model: on which device, with how many host threads, and whether the CPU may keep packed copies of
 * weights. Build with {@link #builder()}; {@link #defaults()} is the CPU with one thread per processor and copies.
 *
 * <pre>{@code
 * LoadOptions o = LoadOptions.builder().device("cuda:0").threads(8).build();
 * try (Vera4j model = Vera4j.load(Path.of("model.gguf"), o)) { ... }   // "no NVIDIA driver found (...)" without a GPU
 * }</pre>
 *
 * @param device       where the forward pass runs ({@code cpu} by default)
 * @param threads      threads of the model's worker pool (the caller's thread included): the CPU backend's kernels,
 *                     and hooks that run on the host
 * @param decodeCopies whether the CPU backend packs the matrices of types with a kernel layout (Q4_0, Q4_K, Q6_K, ...)
 *                     into copies for faster one-token steps (see
 *                     {@link Model#load(java.nio.file.Path, int, boolean)}); other devices ignore it
 * @param packCache    a folder where the packed copies are kept between loads ({@link PackedCopies}: the first load
 *                     of a file writes them, later loads read them instead of packing again), or {@code null} (the
 *                     default) to pack at every load and write nothing; the CLI uses {@code $VERA4J_CACHE/packed}
 */
public record LoadOptions(Device device, int threads, boolean decodeCopies, Path packCache) {
    public LoadOptions {
        if (device == null) throw new IllegalArgumentException("device is null");
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }

    /** The CPU, one thread per available processor, packed copies. */
    public static LoadOptions defaults() { return builder().build(); }

    public static Builder builder() { return new Builder(); }

    /** A mutable builder, starting from {@link #defaults()}. */
    public static final class Builder {
        private Device device = Device.CPU;
        private int threads = WorkerPool.defaultThreads();
        private boolean decodeCopies = true;
        private Path packCache;

        public Builder device(Device d) { device = d; return this; }

        /**
         * {@code cpu}, {@code cuda} or {@code cuda:N} (see {@link Device#parse}).
         *
         * @throws IllegalArgumentException if {@code spec} is not a device name
         */
        public Builder device(String spec) { device = Device.parse(spec); return this; }

        public Builder threads(int n) { threads = n; return this; }

        public Builder decodeCopies(boolean copies) { decodeCopies = copies; return this; }

        /** The folder of packed copies kept between loads, or {@code null} for none. */
        public Builder packCache(Path folder) { packCache = folder; return this; }

        public LoadOptions build() { return new LoadOptions(device, threads, decodeCopies, packCache); }
    }
}
