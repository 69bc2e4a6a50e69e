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
        /** The o projection's output before the post-attention norm: only for models that have one (Gemma). */
        ATTN_OUT,
        /** The residual stream after attention. */
        FFN_INPUT,
        /** RMSNorm of that, the input of gate/up (and of the router). */
        FFN_NORM,
        /** Gate projection output (before the activation); of the shared expert in mixture-of-experts layers. */
        GATE,
        /** Up projection output (of the shared expert in mixture-of-experts layers). */
        UP,
        /** {@code act(gate) * up}, the input of the down projection (of the shared expert in MoE layers). */
        FFN_MIX,
        /** The router's logits, one per expert (mixture-of-experts layers). */
        ROUTER,
        /**
         * Each chosen expert's gate projection output: per token, {@code used} rows of the expert width in the
         * router's order ({@code dev.vera4j.engine.backend.cpu.ExpertChoice}'s slots), so {@code width = used · ff}.
         */
        EXPERT_GATE,
        /** Each chosen expert's up projection output, laid out as {@link #EXPERT_GATE}. */
        EXPERT_UP,
        /** Each chosen expert's {@code silu(gate) * up}, laid out as {@link #EXPERT_GATE}. */
        EXPERT_MIX,
        /** Each chosen expert's down projection output before its weight: per token {@code used} rows of {@code dim}. */
        EXPERT_OUT,
        /** The shared expert's output before its gate (Qwen2-MoE). */
        SHARED_OUT,
        /** The shared expert's gate logit {@code w·x}, one per token (Qwen2-MoE). */
        SHARED_LOGIT,
        /** The feed-forward output before the post-FFN norm: only for models that have one (Gemma). */
        FFN_OUT,
        /**
         * The residual stream after the last block, the input of the final RMSNorm (layer
         * {@link LinearSite#OUTPUT_LAYER}): the rows that give logits.
         */
        FINAL_INPUT,
        /** The final RMSNorm, the input of the output projection (layer {@link LinearSite#OUTPUT_LAYER}). */
        FINAL_NORM;

        /** Whether the forward pass of a model of configuration {@code c} records this point. */
        public boolean recordedBy(ModelConfig c) {
            return switch (this) {
                case Q_RAW, K_RAW -> c.qkNorm();
                case ATTN_OUT, FFN_OUT -> c.style().postNorms();
                case ROUTER, EXPERT_GATE, EXPERT_UP, EXPERT_MIX, EXPERT_OUT -> c.moe();
                case SHARED_OUT, SHARED_LOGIT -> c.moe() && c.experts().shared();
                case GATE, UP, FFN_MIX -> !c.moe() || c.experts().shared();
                default -> true;
            };
        }
    }

    void record(int layer, Point point, float[] data, int offset, int n, int width);
}
