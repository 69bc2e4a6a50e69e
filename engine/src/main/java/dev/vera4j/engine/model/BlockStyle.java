package dev.vera4j.engine.model;

/**
 * How a family's blocks differ from llama's, as data that the one forward pass reads (rather than a copy of the block
 * per family).
 *
 * <pre>{@code
 * BlockStyle.llama(64)                      // SwiGLU, pre-norms only, q·k / √64, no caps
 * config.style().attnSoftCap()              // 50 for Gemma 2: scores become 50·tanh(s / 50)
 * }</pre>
 *
 * @param activation     of the gated feed-forward network
 * @param postNorms      the attention output and the feed-forward output are RMS-normalized before they join the
 *                       residual stream ({@code post_attention_norm}, {@code post_ffw_norm}: Gemma 2 and 3)
 * @param embeddingScale multiplies the token embeddings ({@code √dim} for Gemma)
 * @param attentionScale multiplies {@code q·k} ({@code 1/√headDim} unless the family says otherwise)
 * @param attnSoftCap    attention scores become {@code cap·tanh(s/cap)} before the softmax; 0: none
 * @param finalSoftCap   the same for the logits; 0: none
 */
public record BlockStyle(Activation activation, boolean postNorms, float embeddingScale, float attentionScale,
                         float attnSoftCap, float finalSoftCap) {
    public BlockStyle {
        if (activation == null) throw new ModelConfigException("activation is null");
        if (!(embeddingScale > 0) || !(attentionScale > 0)) {
            throw new ModelConfigException("embedding and attention scales must be positive, got " + embeddingScale + ", " + attentionScale);
        }
        if (!(attnSoftCap >= 0) || !(finalSoftCap >= 0)) {
            throw new ModelConfigException("soft-caps must be positive (or 0 for none), got " + attnSoftCap + ", " + finalSoftCap);
        }
    }

    /** llama's block: SwiGLU, pre-norms only, embeddings as stored, {@code q·k/√headDim}, no soft-caps. */
    public static BlockStyle llama(int headDim) {
        return new BlockStyle(Activation.SILU, false, 1f, (float) (1 / Math.sqrt(headDim)), 0f, 0f);
    }

    public BlockStyle withAttentionScale(float scale) {
        return new BlockStyle(activation, postNorms, embeddingScale, scale, attnSoftCap, finalSoftCap);
    }

    public BlockStyle withSoftCaps(float attn, float fin) {
        return new BlockStyle(activation, postNorms, embeddingScale, attentionScale, attn, fin);
    }
}
