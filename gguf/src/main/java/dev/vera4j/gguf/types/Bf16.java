package dev.vera4j.gguf.types;

/**
 * bfloat16 (the upper half of an IEEE float, ggml's {@code ggml_bf16_t}) conversions.
 *
 * <p>Narrowing rounds to nearest, ties to even, and turns every NaN into a quiet NaN, exactly like ggml's
 * {@code ggml_compute_fp32_to_bf16}; subnormals are kept. Widening is exact.
 *
 * <pre>{@code
 * short b = Bf16.fromFloat(1.00390625f);   // 0x3F80: the tie 1 + 2^-8 rounds to even, 1.0
 * float f = Bf16.toFloat(b);               // 1.0
 * }</pre>
 */
public final class Bf16 {
    private Bf16() {}

    /** The float whose upper 16 bits are {@code bits} and lower 16 bits zero. */
    public static float toFloat(short bits) { return Float.intBitsToFloat(bits << 16); }

    /** The bfloat16 nearest to {@code value}. */
    public static short fromFloat(float value) {
        int u = Float.floatToRawIntBits(value);
        if ((u & 0x7fffffff) > 0x7f800000) {
            return (short) ((u >>> 16) | 64); // NaN: keep sign and payload, force the quiet bit
        }
        // adding 0x7fff plus the lowest kept bit rounds to nearest with ties going to the even neighbour
        return (short) ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16);
    }
}
