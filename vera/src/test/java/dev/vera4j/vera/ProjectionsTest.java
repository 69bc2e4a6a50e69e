package dev.vera4j.vera;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProjectionsTest {

    /** SHA-256 of the little-endian fp32 bytes, as {@code hashlib.sha256(t.numpy().tobytes())} gives it. */
    static String sha256(float[] values) throws Exception {
        ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(values);
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(buf.array()));
    }

    @Test
    void smallProjectionsMatchPytorchBytes() throws Exception {
        Projections p = Projections.generate(0, 4, 8, 6, Projections.Rounding.FUSED);
        assertEquals(32, p.a().length);
        assertEquals(24, p.b().length);
        assertTrue(sha256(p.a()).startsWith("f2e900ed"), sha256(p.a()));
        assertTrue(sha256(p.b()).startsWith("73a92319"), sha256(p.b()));
    }

    /** Both roundings against make_projection_vectors.py, which uses numpy's MT19937 and exact rational arithmetic. */
    @Test
    void smallProjectionsMatchIndependentNumpyReference() throws Exception {
        List<String> lines;
        try (var in = ProjectionsTest.class.getResourceAsStream("projection-vectors.txt")) {
            lines = new String(in.readAllBytes(), StandardCharsets.US_ASCII).lines().toList();
        }
        assertEquals(4, lines.size());
        for (String line : lines) {
            String[] parts = line.split(" ");
            Projections.Rounding rounding = parts[1].equals("fused") ? Projections.Rounding.FUSED
                    : Projections.Rounding.UNFUSED;
            Projections p = Projections.generate(0, 4, 8, 6, rounding);
            float[] actual = parts[0].equals("A") ? p.a() : p.b();
            assertEquals(parts.length - 2, actual.length, line);
            for (int i = 0; i < actual.length; i++) {
                int expected = Integer.parseUnsignedInt(parts[i + 2], 16);
                assertEquals(expected, Float.floatToRawIntBits(actual[i]), parts[0] + " " + parts[1] + " element " + i);
            }
        }
    }

    @Test
    void llamaSizedProjectionsMatchPytorchBytes() throws Exception {
        Projections p = Projections.generate(0, 256, 4096, 4096, Projections.Rounding.FUSED);
        assertTrue(sha256(p.a()).startsWith("555fe05a"), sha256(p.a()));
        assertTrue(sha256(p.b()).startsWith("46f7be51"), sha256(p.b()));
    }

    @Test
    void valuesStayWithinTheKaimingBound() {
        Projections p = Projections.generate(7, 16, 64, 48, Projections.Rounding.FUSED);
        float boundA = (float) (Math.sqrt(3.0) * (Math.sqrt(2.0) / Math.sqrt(64)));
        float boundB = (float) (Math.sqrt(3.0) * (Math.sqrt(2.0) / Math.sqrt(16)));
        for (float v : p.a()) {
            assertTrue(v >= -boundA && v <= boundA, "A value " + v);
        }
        for (float v : p.b()) {
            assertTrue(v >= -boundB && v <= boundB, "B value " + v);
        }
    }

    @Test
    void aIsDrawnBeforeBFromOneStream() {
        Projections p = Projections.generate(3, 2, 5, 4, Projections.Rounding.UNFUSED);
        TorchGenerator g = new TorchGenerator(3);
        float[] a = new float[10];
        float[] b = new float[8];
        Projections.kaimingUniform(a, 5, g, Projections.Rounding.UNFUSED);
        Projections.kaimingUniform(b, 2, g, Projections.Rounding.UNFUSED);
        assertArrayEquals(a, p.a());
        assertArrayEquals(b, p.b());
    }

    @Test
    void fusedAndUnfusedDifferByOneProductRounding() {
        Projections fused = Projections.generate(0, 256, 1024, 512, Projections.Rounding.FUSED);
        Projections unfused = Projections.generate(0, 256, 1024, 512, Projections.Rounding.UNFUSED);
        // the unfused product x * range is off by at most half an ulp of range, the sums by half an ulp each
        float range = 2 * (float) (Math.sqrt(3.0) * (Math.sqrt(2.0) / Math.sqrt(1024)));
        int differing = 0;
        for (int i = 0; i < fused.a().length; i++) {
            float f = fused.a()[i];
            float u = unfused.a()[i];
            if (f != u) {
                differing++;
                assertTrue(Math.abs(f - u) <= Math.ulp(range), "element " + i + ": " + f + " vs " + u);
            }
        }
        assertNotEquals(0, differing, "the two roundings never differed; the option would be pointless");
    }

    @Test
    void viewSlicesColumnsOfAAndRowsOfB() {
        Projections p = Projections.generate(1, 3, 10, 7, Projections.Rounding.FUSED);
        Projections.View v = p.view(4, 5);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 4; j++) {
                assertEquals(p.a()[i * 10 + j], v.a(i, j));
            }
        }
        for (int o = 0; o < 5; o++) {
            for (int i = 0; i < 3; i++) {
                assertEquals(p.b()[o * 3 + i], v.b(o, i));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> p.view(11, 5));
        assertThrows(IllegalArgumentException.class, () -> p.view(4, 8));
        assertThrows(IllegalArgumentException.class, () -> p.view(0, 1));
    }

    @Test
    void rejectsBadDimensionsAndArrays() {
        assertThrows(IllegalArgumentException.class, () -> Projections.generate(0, 0, 8, 8, Projections.Rounding.FUSED));
        assertThrows(IllegalArgumentException.class,
                () -> Projections.generate(0, 65536, 65536, 8, Projections.Rounding.FUSED));
        assertThrows(IllegalArgumentException.class, () -> Projections.of(2, 3, 4, new float[5], new float[8]));
        assertThrows(IllegalArgumentException.class, () -> Projections.of(2, 3, 4, new float[6], new float[7]));
    }

    @Test
    void configRoundingSelectsTheKernel() {
        VeraConfig cfg = VeraConfig.defaults(0);
        Projections viaConfig = Projections.generate(cfg.withFusedMultiplyAdd(false), 8, 6);
        Projections direct = Projections.generate(0, 256, 8, 6, Projections.Rounding.UNFUSED);
        assertArrayEquals(direct.a(), viaConfig.a());
        assertArrayEquals(direct.b(), viaConfig.b());
    }
}
