package dev.vera4j.engine.model;

/** How RoPE pairs the dimensions of a head. */
public enum RopeType {
    /** Adjacent pairs {@code (x[2i], x[2i+1])}: llama.cpp's NORM mode, used for llama/mistral (their q/k rows are permuted at conversion). */
    NORM,
    /** Half split {@code (x[i], x[i + d/2])}: llama.cpp's NEOX mode, used for qwen2/qwen3. */
    NEOX
}
