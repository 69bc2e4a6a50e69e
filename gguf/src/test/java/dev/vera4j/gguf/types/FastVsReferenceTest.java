package dev.vera4j.gguf.types;

import dev.vera4j.gguf.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The fast (Vector API) decoders agree bit for bit with the scalar reference on random bytes (fixed seed), for odd
 * block counts, unaligned source offsets and offset destinations.
 */
class FastVsReferenceTest {
    /** Types whose fast path is a separate Vector API implementation. */
    static final Set<GgmlType> VECTORIZED = Set.of(GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0,
            GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K,
            GgmlType.Q6_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS);

    static Iterable<GgmlType> types() { return Codecs.supportedTypes(); }

    @Test
    void vectorizedTypesHaveTheirOwnFastPath() {
        for (GgmlType t : Codecs.supportedTypes()) {
            boolean ownFastPath = Arrays.stream(Codecs.of(t).getClass().getDeclaredMethods())
                    .anyMatch(m -> m.getName().equals("dequantizeFast"));
            assertEquals(VECTORIZED.contains(t) || t == GgmlType.F32, ownFastPath, t.name());
        }
        // a 512-bit or 256-bit float species, paired with byte and short species of the same lane count
        assertTrue(Simd.LANES == 8 || Simd.LANES == 16, "lanes " + Simd.LANES);
        assertEquals(Simd.LANES, Simd.B.length());
        assertEquals(Simd.LANES, Simd.S.length());
        assertEquals(Simd.LANES, Simd.I.length());
    }

    @ParameterizedTest
    @MethodSource("types")
    void fastMatchesReferenceOnRandomBlocks(GgmlType type) {
        TensorCodec codec = Codecs.of(type);
        Random random = new Random(0x5EED_0000L + type.id());
        int[] blockCounts = {1, 3, 7, 33};
        int[] byteOffsets = {0, 1, 3, 6};
        for (int blocks : blockCounts) {
            for (int byteOffset : byteOffsets) {
                int count = blocks * type.blockSize();
                long bytes = type.bytesFor(count);
                byte[] raw = new byte[(int) bytes + byteOffset + 5];
                random.nextBytes(raw);
                MemorySegment src = MemorySegment.ofArray(raw);
                int dstOffset = 1 + random.nextInt(5);
                float[] fast = new float[count + dstOffset + 3];
                float[] reference = new float[count + dstOffset + 3];
                codec.dequantize(src, byteOffset, fast, dstOffset, count);
                codec.dequantizeReference(src, byteOffset, reference, dstOffset, count);
                compare(reference, fast, type + " " + blocks + " blocks at byte offset " + byteOffset);
                assertEquals(0f, fast[0], "wrote before dstOffset");
                assertEquals(0f, fast[dstOffset + count], "wrote past count");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("types")
    void fastMatchesReferenceOnNativeMemory(GgmlType type) {
        TensorCodec codec = Codecs.of(type);
        Random random = new Random(42 + type.id());
        int count = 5 * type.blockSize() * (type.blockSize() == 1 ? 37 : 1);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(type.bytesFor(count) + 7);
            for (long i = 0; i < src.byteSize(); i++) src.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
            float[] fast = new float[count];
            float[] reference = new float[count];
            codec.dequantize(src, 7, fast, 0, count);
            codec.dequantizeReference(src, 7, reference, 0, count);
            compare(reference, fast, type + " native");
        }
    }

    /** Repeats the comparison until the JIT has compiled the loops, so intrinsified vector code is checked too. */
    @ParameterizedTest
    @MethodSource("vectorized")
    void fastMatchesReferenceAfterWarmUp(GgmlType type) {
        TensorCodec codec = Codecs.of(type);
        Random random = new Random(99 + type.id());
        int count = (type.blockSize() == 1 ? 512 : 8 * type.blockSize());
        byte[] raw = new byte[(int) type.bytesFor(count) + 1];
        float[] fast = new float[count];
        float[] reference = new float[count];
        for (int round = 0; round < 1200; round++) {
            if (round % 300 == 0) random.nextBytes(raw);
            MemorySegment src = MemorySegment.ofArray(raw);
            codec.dequantize(src, 1, fast, 0, count);
            if (round % 300 == 299) {
                codec.dequantizeReference(src, 1, reference, 0, count);
                compare(reference, fast, type + " round " + round);
            }
        }
    }

    static Iterable<GgmlType> vectorized() { return VECTORIZED; }

    /**
     * Raw bits must match; the one allowance is NaN payloads where a random scale byte pattern is NaN, since the
     * order of operands of a multiplication decides which NaN propagates. F16/BF16 widen without arithmetic and
     * must match NaNs bit for bit too.
     */
    private static void compare(float[] reference, float[] fast, String what) {
        boolean strictNaN = !what.startsWith("Q") && !what.startsWith("IQ");
        for (int i = 0; i < reference.length; i++) {
            int r = Float.floatToRawIntBits(reference[i]);
            int f = Float.floatToRawIntBits(fast[i]);
            boolean bothNaN = Float.isNaN(reference[i]) && Float.isNaN(fast[i]);
            if (r != f && !(bothNaN && !strictNaN)) {
                fail(what + ": value " + i + " fast " + fast[i] + " (" + Integer.toHexString(f) + ") reference "
                        + reference[i] + " (" + Integer.toHexString(r) + ")");
            }
        }
    }
}
