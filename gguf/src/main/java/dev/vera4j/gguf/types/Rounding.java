package dev.vera4j.gguf.types;

/** The float-to-int roundings ggml's quantizers use, reproduced exactly. */
final class Rounding {
    private Rounding() {}

    /**
     * ggml's {@code nearest_int}: adds 1.5 * 2^23 so that the float adder rounds to an integer (ties to even), then
     * reads the integer back from the significand bits. Valid for |x| < 2^22, as in ggml.
     */
    static int nearestInt(float x) {
        float biased = x + 12582912f;
        return (Float.floatToRawIntBits(biased) & 0x007fffff) - 0x00400000;
    }

    /** C's {@code roundf}: to nearest, ties away from zero. Exact for every float of magnitude below 2^29. */
    static int roundHalfAway(float x) {
        double r = Math.floor(Math.abs((double) x) + 0.5);
        return (int) (x < 0 ? -r : r);
    }
}
