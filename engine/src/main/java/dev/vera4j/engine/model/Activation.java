package dev.vera4j.engine.model;

/** The nonlinearity of a gated feed-forward network, {@code down · (act(gate·x) ⊙ up·x)}. */
public enum Activation {
    /** SiLU, {@code x·σ(x)}: SwiGLU (llama, qwen, phi3, the experts of MoE models). */
    SILU,
    /** GELU in its tanh form ({@code gelu_pytorch_tanh}): GeGLU (Gemma 2 and 3). */
    GELU_TANH
}
