package dev.vera4j.gguf.types;

/**
 * IEEE 754 binary16 ("half", ggml's {@code ggml_fp16_t}) conversions.
 *
 * <p>Narrowing rounds to nearest, ties to even, like ggml's {@code GGML_FP32_TO_FP16}; widening is exact, except
 * that signalling NaNs become quiet (payload kept), as x86's {@code vcvtph2ps} and so ggml do. The widening is
 * written out rather than left to {@link Float#float16ToFloat}, whose JIT intrinsic quiets NaNs while its
 * interpreted code does not, which would make results depend on compilation state.
 *
 * <pre>{@code
 * short h = Fp16.fromFloat(0.1f);     // 0x2E66
 * float f = Fp16.toFloat(h);          // 0.099975586
 * }</pre>
 */
public final class Fp16 {
    private Fp16() {}

    /** The float equal to the half with bits {@code bits}. */
    public static float toFloat(short bits) {
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int significand = bits & 0x3ff;
        if (exponent == 0x1f) {
            int quiet = significand != 0 ? 0x00400000 : 0;
            return Float.intBitsToFloat(sign | 0x7f800000 | quiet | (significand << 13));
        }
        if (exponent == 0) {
            // subnormal or zero: significand * 2^-24 is exact in float
            float magnitude = significand * 0x1p-24f;
            return Float.intBitsToFloat(sign | Float.floatToRawIntBits(magnitude));
        }
        return Float.intBitsToFloat(sign | ((exponent + 127 - 15) << 23) | (significand << 13));
    }

    /** The bits of the half nearest to {@code value} (ties to even; overflow to infinity; NaN stays NaN). */
    public static short fromFloat(float value) { return Float.floatToFloat16(value); }
}
