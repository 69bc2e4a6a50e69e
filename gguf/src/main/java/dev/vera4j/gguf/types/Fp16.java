package dev.vera4j.gguf.types;

/**
 * IEEE 754 binary16 ("half", ggml's {@code ggml_fp16_t}) conversions.
 *
 * <p>Narrowing rounds to nearest, ties to even, like ggml's {@code GGML_FP32_TO_FP16}; widening is exact.
 *
 * <pre>{@code
 * short h = Fp16.fromFloat(0.1f);     // 0x2E66
 * float f = Fp16.toFloat(h);          // 0.099975586
 * }</pre>
 */
public final class Fp16 {
    private Fp16() {}

    /** The float equal to the half with bits {@code bits}. */
    public static float toFloat(short bits) { return Float.float16ToFloat(bits); }

    /** The bits of the half nearest to {@code value} (ties to even; overflow to infinity; NaN stays NaN). */
    public static short fromFloat(float value) { return Float.floatToFloat16(value); }
}
