package dev.vera4j.gguf.types;

import dev.vera4j.gguf.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CodecsTest {
    private static final EnumSet<GgmlType> SUPPORTED = EnumSet.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16,
            GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K,
            GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS);

    @Test
    void supportsTheFoundationTypes() {
        assertEquals(SUPPORTED, Codecs.supportedTypes());
        for (GgmlType t : SUPPORTED) {
            TensorCodec codec = Codecs.of(t);
            assertSame(t, codec.type());
            assertSame(codec, Codecs.of(t));
            assertTrue(codec.canQuantize(), t.name());
        }
    }

    @Test
    void unsupportedTypeIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Codecs.of(GgmlType.IQ2_XXS));
        assertTrue(e.getMessage().contains("IQ2_XXS"), e.getMessage());
        assertFalse(Codecs.supports(GgmlType.IQ2_XXS));
    }

    @Test
    void quantizingADecodeOnlyTypeSaysSo() {
        // every supported type can encode today; a decode-only codec (the default) must refuse clearly
        BlockCodec decodeOnly = new BlockCodec(GgmlType.IQ2_XXS) {
            @Override
            void dequantizeScalar(MemorySegment src, long offset, float[] dst, int dstOffset, int blocks) {}
        };
        assertFalse(decodeOnly.canQuantize());
        MemorySegment dst = MemorySegment.ofArray(new byte[GgmlType.IQ2_XXS.typeSize()]);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> decodeOnly.quantize(new float[256], 0, 256, dst, 0));
        assertTrue(e.getMessage().contains("IQ2_XXS"), e.getMessage());
    }

    @Test
    void badRangesAreRejectedWithClearMessages() {
        TensorCodec q8 = Codecs.of(GgmlType.Q8_0);
        MemorySegment src = MemorySegment.ofArray(new byte[68]);
        float[] dst = new float[64];
        assertTrue(assertThrows(IllegalArgumentException.class, () -> q8.dequantize(src, 0, dst, 0, 33))
                .getMessage().contains("whole number of Q8_0 blocks"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> q8.dequantize(src, 1, dst, 0, 64))
                .getMessage().contains("outside the segment"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> q8.dequantize(src, 0, dst, 32, 64))
                .getMessage().contains("outside the array"));
        assertThrows(IllegalArgumentException.class, () -> q8.dequantizeReference(src, -1, dst, 0, 32));
        assertThrows(IllegalArgumentException.class, () -> q8.dequantize(src, 0, dst, -1, 32));
        assertThrows(IllegalArgumentException.class, () -> q8.quantize(new float[32], 0, 64, src, 0));
        assertThrows(IllegalArgumentException.class, () -> q8.quantize(new float[64], 0, 64, src, 2));
        MemorySegment readOnly = src.asReadOnly();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> q8.quantize(new float[32], 0, 32, readOnly, 0))
                .getMessage().contains("read-only"));
        q8.dequantize(src, 0, dst, 0, 0); // nothing to do is fine
    }

    /**
     * Round trip error on N(0, 1) values, relative to their RMS, with bounds a little above what each format's
     * resolution allows: 2-bit ≈ 0.4, 3-bit ≈ 0.2, 4-bit ≈ 0.1, 5-bit ≈ 0.05, 6-bit ≈ 0.025, 8-bit ≈ 0.006, halves 2^-11, bfloat 2^-8.
     */
    @ParameterizedTest
    @CsvSource({"F32, 0", "F16, 0.0004", "BF16, 0.003", "Q8_0, 0.008", "Q6_K, 0.03", "Q5_0, 0.06", "Q5_1, 0.06",
            "Q4_0, 0.12", "Q4_1, 0.12", "Q4_K, 0.12", "Q5_K, 0.06", "Q3_K, 0.25", "Q2_K, 0.45",
            "IQ4_NL, 0.12", "IQ4_XS, 0.12"})
    void roundTripIsClose(GgmlType type, double maxRelativeRmse) {
        int n = 16 * 256;
        float[] x = new float[n];
        Random random = new Random(7);
        for (int i = 0; i < n; i++) x[i] = (float) random.nextGaussian();
        float[] back = roundTrip(type, x, 3);
        double err = 0, ref = 0;
        for (int i = 0; i < n; i++) {
            err += (back[i] - x[i]) * (double) (back[i] - x[i]);
            ref += x[i] * (double) x[i];
        }
        double relative = Math.sqrt(err / ref);
        assertTrue(relative <= maxRelativeRmse, type + " relative RMSE " + relative + " > " + maxRelativeRmse);
        if (type != GgmlType.F32) assertTrue(relative > 0, "a lossy format reproduced every value");
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K",
            "IQ4_NL", "IQ4_XS"})
    void zeroBlocksStayZero(GgmlType type) {
        float[] zeros = new float[2 * type.blockSize()];
        float[] back = roundTrip(type, zeros, 0);
        for (float v : back) assertEquals(0f, Math.abs(v));
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q5_0", "Q6_K"})
    void symmetricTypesKeepTheLargestMagnitudeNearlyExact(GgmlType type) {
        float[] x = new float[type.blockSize()];
        Random random = new Random(3);
        for (int i = 0; i < x.length; i++) x[i] = random.nextFloat() - 0.5f;
        x[5] = -3f; // dominates the block: its level is the extreme one, so only the f16 scale rounds it
        float[] back = roundTrip(type, x, 0);
        assertEquals(-3f, back[5], 3f * 0x1p-10f, type.name());
    }

    @Test
    void quantizeHonoursOffsets() {
        TensorCodec q4 = Codecs.of(GgmlType.Q4_0);
        float[] x = new float[40];
        for (int i = 0; i < x.length; i++) x[i] = i - 20;
        byte[] direct = new byte[18];
        q4.quantize(java.util.Arrays.copyOfRange(x, 5, 37), 0, 32, MemorySegment.ofArray(direct), 0);
        byte[] shifted = new byte[25];
        q4.quantize(x, 5, 32, MemorySegment.ofArray(shifted), 7);
        assertArrayEquals(direct, java.util.Arrays.copyOfRange(shifted, 7, 25));
    }

    private static float[] roundTrip(GgmlType type, float[] x, int byteOffset) {
        TensorCodec codec = Codecs.of(type);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment q = arena.allocate(type.bytesFor(x.length) + byteOffset);
            codec.quantize(x, 0, x.length, q, byteOffset);
            float[] back = new float[x.length];
            codec.dequantize(q, byteOffset, back, 0, x.length);
            float[] reference = new float[x.length];
            codec.dequantizeReference(q, byteOffset, reference, 0, x.length);
            GgmlVectorsTest.assertBitsEqual(reference, back, type + " round trip");
            return back;
        }
    }
}
