package dev.vera4j.gguf.types;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Fp16Bf16Test {

    @Test
    void fp16KnownValues() {
        assertEquals((short) 0x3C00, Fp16.fromFloat(1f));
        assertEquals((short) 0x2E66, Fp16.fromFloat(0.1f));
        assertEquals((short) 0x7BFF, Fp16.fromFloat(65504f));
        assertEquals((short) 0x7C00, Fp16.fromFloat(65520f));           // rounds up to infinity
        assertEquals((short) 0x0001, Fp16.fromFloat(0x1p-24f));          // smallest subnormal
        assertEquals((short) 0x0000, Fp16.fromFloat(0x1p-25f));          // tie with zero rounds to even (zero)
        assertEquals((short) 0x3C00, Fp16.fromFloat(1f + 0x1p-11f));     // tie rounds to even
        assertEquals((short) 0x3C02, Fp16.fromFloat(1f + 3 * 0x1p-11f)); // tie rounds to even (up)
        assertEquals(-2f, Fp16.toFloat((short) 0xC000));
        assertEquals(0x1p-24f, Fp16.toFloat((short) 0x0001));
    }

    @Test
    void fp16RoundTripsEveryHalf() {
        for (int h = 0; h < 0x10000; h++) {
            float f = Fp16.toFloat((short) h);
            if (!Float.isNaN(f)) assertEquals((short) h, Fp16.fromFloat(f), Integer.toHexString(h));
        }
    }

    @Test
    void fp16WideningIsExactAndQuietsNaN() {
        for (int h = 0; h < 0x10000; h++) {
            float ours = Fp16.toFloat((short) h);
            float jdk = Float.float16ToFloat((short) h);
            if (Float.isNaN(jdk)) {
                // payload kept, quiet bit set: what x86's vcvtph2ps (and so ggml) produces
                int expected = ((h & 0x8000) << 16) | 0x7fc00000 | ((h & 0x3ff) << 13);
                assertEquals(expected, Float.floatToRawIntBits(ours), Integer.toHexString(h));
            } else {
                assertEquals(Float.floatToRawIntBits(jdk), Float.floatToRawIntBits(ours), Integer.toHexString(h));
            }
        }
    }

    @Test
    void bf16RoundsToNearestEven() {
        assertEquals((short) 0x3F80, Bf16.fromFloat(1f));
        assertEquals((short) 0x3F80, Bf16.fromFloat(Float.intBitsToFloat(0x3F808000))); // tie, even stays
        assertEquals((short) 0x3F82, Bf16.fromFloat(Float.intBitsToFloat(0x3F818000))); // tie, odd goes up
        assertEquals((short) 0x3F81, Bf16.fromFloat(Float.intBitsToFloat(0x3F808001))); // above the tie
        assertEquals((short) 0x7F80, Bf16.fromFloat(Float.intBitsToFloat(0x7F7FFFFF))); // overflows to infinity
        assertEquals((short) 0xFF80, Bf16.fromFloat(Float.NEGATIVE_INFINITY));
        assertEquals((short) 0x0001, Bf16.fromFloat(Float.intBitsToFloat(0x00010000))); // subnormals are kept
    }

    @Test
    void bf16QuietsNaN() {
        short signalling = Bf16.fromFloat(Float.intBitsToFloat(0x7F800001));
        assertEquals((short) 0x7FC0, signalling);
        assertTrue(Float.isNaN(Bf16.toFloat(signalling)));
        assertEquals((short) 0xFFC1, Bf16.fromFloat(Float.intBitsToFloat(0xFF810000)));
    }

    @Test
    void bf16WideningIsExact() {
        for (int h = 0; h < 0x10000; h++) {
            assertEquals(h << 16, Float.floatToRawIntBits(Bf16.toFloat((short) h)));
        }
    }
}
