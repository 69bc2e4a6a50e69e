/**
 * VeRA and LoRA adapters: loading (vera4j GGUF adapters, PEFT directories), applying them to a model, merging, and
 * training them ({@code dev.vera4j.vera.train}).
 *
 * <pre>{@code
 * module my.app {
 *     requires dev.vera4j.vera;     // reads dev.vera4j.engine too
 * }
 * }</pre>
 */
module dev.vera4j.vera {
    requires transitive dev.vera4j.engine;
    requires jdk.incubator.vector;

    exports dev.vera4j.vera;
    exports dev.vera4j.vera.lora;
    exports dev.vera4j.vera.merge;
    exports dev.vera4j.vera.peft;
    exports dev.vera4j.vera.train;
}
