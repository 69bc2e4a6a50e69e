/**
 * The CPU kernels (Vector API): matrix products for every weight type, attention rows, norms, RoPE and the worker
 * pool that runs them. The engine's building blocks; applications use {@code dev.vera4j.engine}.
 */
module dev.vera4j.simd {
    requires transitive dev.vera4j.gguf;
    requires jdk.incubator.vector;

    exports dev.vera4j.simd;
}
