/**
 * The inference engine: models, tokenizers, chat templates, sampling, the KV cache, the batching scheduler and the
 * compute backends. Applications program against {@code dev.vera4j.engine.Vera4j} and {@code dev.vera4j.engine.api};
 * the other packages are exported for vera4j's own modules (adapters, the server, the CUDA backend) and may change
 * between versions.
 *
 * <pre>{@code
 * module my.app {
 *     requires dev.vera4j.engine;   // no --add-modules jdk.incubator.vector: the vera4j modules read it
 * }
 * }</pre>
 *
 * <p>A backend for another device is a {@link dev.vera4j.engine.backend.BackendProvider} found by the
 * {@link java.util.ServiceLoader}, as {@code dev.vera4j.cuda} provides one.
 */
module dev.vera4j.engine {
    requires transitive dev.vera4j.simd;
    requires jdk.incubator.vector;   // ModelInfo and Vera4j report the SIMD width

    exports dev.vera4j.engine;
    exports dev.vera4j.engine.api;
    exports dev.vera4j.engine.backend;
    exports dev.vera4j.engine.backend.cpu;
    exports dev.vera4j.engine.batch;
    exports dev.vera4j.engine.json;
    exports dev.vera4j.engine.kv;
    exports dev.vera4j.engine.model;
    exports dev.vera4j.engine.sample;
    exports dev.vera4j.engine.template;
    exports dev.vera4j.engine.tokenizer;

    uses dev.vera4j.engine.backend.BackendProvider;
}
