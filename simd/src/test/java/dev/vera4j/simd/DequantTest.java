package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The scalar reference against ggml's own dequantization, and the vector half/bfloat16 widening against the JDK. */
class DequantTest {
    @ParameterizedTest
    @EnumSource(names = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void referenceMatchesGgmlBitForBit(GgmlType type) {
        Path file = Path.of(System.getProperty("vera4j.shared", "../shared")).resolve("testdata/quant/quant-vectors.gguf");
        try (GgufFile gguf = GgufFile.open(file)) {
            String name = type.name().toLowerCase();
            Weights w = Weights.of(gguf.tensor(name));
            Weights expected = Weights.of(gguf.tensor(name + ".expected"));
            for (int r = 0; r < w.rows(); r++) {
                float[] got = TestWeights.row(w, r), want = TestWeights.row(expected, r);
                for (int k = 0; k < w.cols(); k++) {
                    assertEquals(Float.floatToIntBits(want[k]), Float.floatToIntBits(got[k]), type + " row " + r + " col " + k);
                }
            }
        }
    }

    @Test
    void vectorHalvesWidenEveryBitPatternExactly() {
        if (!Vec.ENABLED) return;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(2L * 65536);
            for (int i = 0; i < 65536; i++) seg.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2L * i, (short) i);
            float[] out = new float[Vec.L];
            for (int i = 0; i < 65536; i += Vec.L) {
                Vec.halves(seg, 2L * i).intoArray(out, 0);
                for (int j = 0; j < Vec.L; j++) {
                    float want = Float.float16ToFloat((short) (i + j));
                    if (Float.isNaN(want)) assertEquals(true, Float.isNaN(out[j]), "half 0x" + Integer.toHexString(i + j));
                    else assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(out[j]), "half 0x" + Integer.toHexString(i + j));
                }
                Vec.bf16s(seg, 2L * i).intoArray(out, 0);
                for (int j = 0; j < Vec.L; j++) assertEquals((i + j) << 16, Float.floatToRawIntBits(out[j]), "bf16 0x" + Integer.toHexString(i + j));
            }
        }
    }
}
