package dev.vera4j.engine.model;

/**
 * Sliding-window attention: which layers attend to only the last {@code size} positions (the query's own included,
 * as Hugging Face and llama.cpp mask: key {@code j} is hidden from query {@code i} when {@code i − j ≥ size}), and the
 * RoPE of those layers.
 *
 * <pre>{@code
 * new SlidingWindow(4096, 2, 0)       // Gemma 2: layers 0, 2, 4 ... slide, 1, 3, 5 ... attend globally
 * new SlidingWindow(1024, 6, 10000)   // Gemma 3: five local layers (RoPE base 10 000, unscaled), then a global one
 * new SlidingWindow(2047, 0, 0)       // Phi-3 mini 4k: every layer slides
 * }</pre>
 *
 * @param size          positions a query of a sliding layer sees; 0: no sliding window
 * @param globalEvery   layer {@code l} attends globally when {@code (l + 1) % globalEvery == 0}; 0: every layer slides
 * @param localRopeBase the RoPE base of the sliding layers, which then take no RoPE scaling; 0: the model's RoPE
 */
public record SlidingWindow(int size, int globalEvery, float localRopeBase) {
    public static final SlidingWindow NONE = new SlidingWindow(0, 0, 0f);

    public SlidingWindow {
        if (size < 0 || globalEvery < 0 || !(localRopeBase >= 0)) {
            throw new ModelConfigException("sliding window " + size + " every " + globalEvery + " with RoPE base " + localRopeBase + " is invalid");
        }
    }

    /** Whether layer {@code layer} attends to a window rather than to every position. */
    public boolean slides(int layer) {
        return size > 0 && (globalEvery == 0 || (layer + 1) % globalEvery != 0);
    }

    /** The window of layer {@code layer}, or 0 when it attends globally. */
    public int of(int layer) { return slides(layer) ? size : 0; }

    /** Whether layer {@code layer} takes the local RoPE ({@link #localRopeBase}, unscaled). */
    public boolean localRope(int layer) { return localRopeBase > 0 && slides(layer); }
}
