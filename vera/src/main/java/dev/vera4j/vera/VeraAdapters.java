package dev.vera4j.vera;

import dev.vera4j.engine.api.ModelAdapter;
import dev.vera4j.engine.model.LinearHook;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * VeRA and LoRA adapters for the embedding API: {@link #load} returns a {@link ModelAdapter} that {@code Chat.Builder.adapter}
 * and {@code Chat.adapter} accept. The file is checked against the model when a chat first uses it.
 *
 * <pre>{@code
 * try (Vera4j model = Vera4j.load(Path.of("base.gguf"))) {
 *     Chat chat = model.chat().adapter(VeraAdapters.load(Path.of("style.gguf"), 0.8f)).build();
 * }
 * }</pre>
 */
public final class VeraAdapters {
    private VeraAdapters() {}

    /**
     * The adapter at {@code path} with weight 1: a vera4j VeRA GGUF, a llama.cpp LoRA GGUF, or a PEFT VeRA or LoRA
     * directory (the kind is detected when a chat first uses it).
     */
    public static ModelAdapter load(Path path) { return load(path, 1f); }

    /**
     * The adapter at {@code path}, its update scaled by {@code weight}.
     *
     * @throws IllegalArgumentException if the path does not exist or the weight is not finite
     */
    public static ModelAdapter load(Path path, float weight) {
        if (!Files.exists(path)) throw new IllegalArgumentException("adapter " + path + " does not exist");
        if (!Float.isFinite(weight)) throw new IllegalArgumentException("adapter weight must be finite, got " + weight);
        return new Vera(path, weight);
    }

    /** {@code PATH} or {@code PATH:WEIGHT}, as the command line's {@code --adapter}. */
    public static ModelAdapter parse(String spec) {
        AdapterLoader.Spec s = AdapterLoader.Spec.parse(spec);
        return load(s.path(), s.weight());
    }

    private record Vera(Path path, float weight) implements ModelAdapter {
        @Override
        public String name() { return path.getFileName() + (weight == 1f ? "" : ":" + weight); }

        @Override
        public LinearHook newHook(Path modelPath, int maxTokens) {
            return AdapterLoader.hook(path, BaseFingerprint.of(modelPath), maxTokens, weight, null);
        }
    }
}
