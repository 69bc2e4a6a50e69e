package dev.vera4j.engine.api;

import dev.vera4j.engine.model.LinearHook;
import dev.vera4j.engine.model.LinearSite;
import dev.vera4j.engine.model.LowRankUpdate;

import java.nio.file.Path;
import java.util.List;

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

    /**
     * Several adapters applied together: each adds its own {@code Δy} (the same as applying them one after another,
     * since every {@code Δy} depends only on the projection's input).
     *
     * <pre>{@code
     * ModelAdapter both = ModelAdapter.combine(List.of(VeraAdapters.load(style), VeraAdapters.load(domain, 0.5f)));
     * }</pre>
     *
     * @throws IllegalArgumentException if {@code adapters} is empty
     */
    static ModelAdapter combine(List<ModelAdapter> adapters) {
        if (adapters.isEmpty()) throw new IllegalArgumentException("no adapters to combine");
        if (adapters.size() == 1) return adapters.getFirst();
        List<ModelAdapter> list = List.copyOf(adapters);
        return new ModelAdapter() {
            @Override
            public String name() {
                return String.join(" + ", list.stream().map(ModelAdapter::name).toList());
            }

            @Override
            public LinearHook newHook(Path modelPath, int maxTokens) {
                LinearHook[] hooks = new LinearHook[list.size()];
                for (int i = 0; i < hooks.length; i++) hooks[i] = list.get(i).newHook(modelPath, maxTokens);
                return new LinearHook() {
                    @Override
                    public void addDelta(LinearSite site, float[] x, int xOff, float[] y, int yOff, int n, int in, int out) {
                        for (LinearHook h : hooks) h.addDelta(site, x, xOff, y, yOff, n, in, out);
                    }

                    @Override
                    public LowRankUpdate lowRank() {   // the terms of all, if each has them
                        LowRankUpdate all = new LowRankUpdate(List.of());
                        for (LinearHook h : hooks) {
                            LowRankUpdate u = h.lowRank();
                            if (u == null) return null;
                            all = all.plus(u);
                        }
                        return all;
                    }
                };
            }
        };
    }
}
