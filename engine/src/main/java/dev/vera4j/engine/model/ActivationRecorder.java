package dev.vera4j.engine.model;

/**
 * Receives intermediate activations of a forward pass, block by block, e.g. for a trainer's backward pass. The data
 * is only valid during the call: copy what is needed. Without a recorder the forward pass does no extra work.
 *
 * <pre>{@code
 * ActivationRecorder keepFfnInputs = (layer, point, data, off, n, width) -> {
 *     if (point == ActivationRecorder.Point.FFN_NORM) saved[layer] = Arrays.copyOfRange(data, off, off + n * width);
 * };
 * }</pre>
 */
@FunctionalInterface
public interface ActivationRecorder {
    /** Where in a block the activations were taken; every value is {@code n} rows of {@code width}. */
    enum Point {
        /** The residual stream entering the block. */
        BLOCK_INPUT,
        /** RMSNorm of the block input, the input of q/k/v. */
        ATTN_NORM,
        /** Queries after bias, before the per-head q-norm: recorded only for models that have one (qwen3). */
        Q_RAW,
        /** Keys after bias, before the per-head k-norm: recorded only for models that have one (qwen3). */
        K_RAW,
        /** Queries after bias, q-norm and RoPE. */
        Q,
        /** Keys after bias, k-norm and RoPE (as stored in the cache). */
        K,
        /** Values. */
        V,
        /** Attention output per head, the input of the o projection. */
        ATTN_MIX,
        /** The residual stream after attention. */
        FFN_INPUT,
        /** RMSNorm of that, the input of gate/up. */
        FFN_NORM,
        /** Gate projection output (before SiLU). */
        GATE,
        /** Up projection output. */
        UP,
        /** {@code silu(gate) * up}, the input of the down projection. */
        FFN_MIX,
        /**
         * The residual stream after the last block, the input of the final RMSNorm (layer
         * {@link LinearSite#OUTPUT_LAYER}): the rows that give logits.
         */
        FINAL_INPUT,
        /** The final RMSNorm, the input of the output projection (layer {@link LinearSite#OUTPUT_LAYER}). */
        FINAL_NORM
    }

    void record(int layer, Point point, float[] data, int offset, int n, int width);
}
