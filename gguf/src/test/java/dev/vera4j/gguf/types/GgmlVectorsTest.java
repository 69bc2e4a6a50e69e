package dev.vera4j.gguf.types;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufTensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Bit-exact agreement with ggml on {@code testdata/quant/quant-vectors.gguf}: a 16×512 F32 tensor {@code source},
 * its encoding by ggml's reference quantizer for each type ({@code q4_k}, …) and ggml's decoding of that
 * ({@code q4_k.expected}).
 */
class GgmlVectorsTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static GgufFile file;

    @BeforeAll
    static void open() {
        Path shared = Path.of(System.getProperty("vera4j.shared", "../shared"));
        file = GgufFile.open(shared.resolve("testdata/quant/quant-vectors.gguf"));
    }

    @AfterAll
    static void close() { file.close(); }

    private static String name(GgmlType type) { return type.name().toLowerCase(Locale.ROOT); }

    private static float[] floats(GgufTensor t) {
        assertEquals(GgmlType.F32, t.type(), t.name());
        return t.data().toArray(F32);
    }

    @ParameterizedTest
    @EnumSource(names = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K",
            "Q6_K", "IQ4_NL", "IQ4_XS"})
    void dequantizesLikeGgml(GgmlType type) {
        GgufTensor q = file.tensor(name(type));
        assertEquals(type, q.type());
        float[] expected = floats(file.tensor(name(type) + ".expected"));
        int n = Math.toIntExact(q.elementCount());
        assertEquals(expected.length, n);
        TensorCodec codec = Codecs.of(type);

        float[] fast = new float[n];
        codec.dequantize(q.data(), 0, fast, 0, n);
        assertBitsEqual(expected, fast, type + " fast path");

        float[] reference = new float[n];
        codec.dequantizeReference(q.data(), 0, reference, 0, n);
        assertBitsEqual(expected, reference, type + " reference path");

        // row by row, as the engine reads weights
        int cols = q.cols();
        long rowBytes = type.bytesFor(cols);
        float[] rows = new float[n];
        for (int r = 0; r < q.rows(); r++) {
            codec.dequantize(q.data(), r * rowBytes, rows, r * cols, cols);
        }
        assertBitsEqual(expected, rows, type + " row by row");
    }

    @ParameterizedTest
    @EnumSource(names = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K",
            "Q6_K", "IQ4_NL", "IQ4_XS"})
    void quantizesLikeGgml(GgmlType type) {
        float[] source = floats(file.tensor("source"));
        GgufTensor expected = file.tensor(name(type));
        TensorCodec codec = Codecs.of(type);
        assertTrue(codec.canQuantize());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(type.bytesFor(source.length));
            codec.quantize(source, 0, source.length, out, 0);
            long mismatch = out.mismatch(expected.data());
            if (mismatch >= 0) {
                long block = mismatch / type.typeSize();
                fail(type + ": first byte that differs from ggml is " + mismatch + " (block " + block + ", byte "
                        + mismatch % type.typeSize() + "): ours " + (out.get(ValueLayout.JAVA_BYTE, mismatch) & 0xFF)
                        + ", ggml " + (expected.data().get(ValueLayout.JAVA_BYTE, mismatch) & 0xFF) + "; "
                        + differingBlocks(out, expected.data(), type) + " of " + source.length / type.blockSize()
                        + " blocks differ");
            }
        }
    }

    private static int differingBlocks(MemorySegment a, MemorySegment b, GgmlType type) {
        int differing = 0;
        long size = type.typeSize();
        for (long o = 0; o < a.byteSize(); o += size) {
            if (a.asSlice(o, size).mismatch(b.asSlice(o, size)) >= 0) differing++;
        }
        return differing;
    }

    static void assertBitsEqual(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                fail(what + ": value " + i + " is " + actual[i] + " (bits " + Integer.toHexString(Float.floatToRawIntBits(actual[i]))
                        + "), expected " + expected[i] + " (bits " + Integer.toHexString(Float.floatToRawIntBits(expected[i])) + ")");
            }
        }
    }
}
