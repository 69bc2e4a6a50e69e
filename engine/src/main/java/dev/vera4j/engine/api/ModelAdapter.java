package dev.vera4j.engine.api;

import dev.vera4j.engine.model.LinearHook;

import java.nio.file.Path;

/**
 * Something that changes a model's linear projections without changing its weights: a VeRA adapter, for instance.
 * The engine does not know adapter formats; modules that do (such as {@code dev.vera4j.vera.VeraAdapters}) implement
 * this interface, and {@link Chat.Builder#adapter(ModelAdapter)} takes it.
 *
 * <pre>{@code
 * ModelAdapter a = VeraAdapters.load(Path.of("style.gguf"), 0.8f);
 * Chat chat = model.chat().adapter(a).build();
 * }</pre>
 */
public interface ModelAdapter {
    /** A short name for messages, e.g. the file name and weight. */
    String name();

    /**
     * A hook for one session of the model at {@code modelPath}.
     *
     * @param maxTokens the most tokens one forward pass takes (what the hook's scratch memory is sized for)
     * @throws RuntimeException with a one-line message if the adapter was made for another base model
     */
    LinearHook newHook(Path modelPath, int maxTokens);
}
