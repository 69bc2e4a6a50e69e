package dev.vera4j.simd;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.vera4j.simd.Vec.F;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The vector exp against its scalar twin (same bits) and against {@link Math#exp} (within 2 ulp). */
class ExpTest {
    @Test
    void vectorMatchesScalarBitForBitAndMathExpWithinTwoUlp() {
        Random rnd = new Random(4);
        float[] x = new float[F.length()], y = new float[F.length()];
        for (int round = 0; round < 20_000; round++) {
            for (int i = 0; i < x.length; i++) {
                x[i] = switch (round % 4) {
                    case 0 -> (float) (rnd.nextDouble() * 175.6 - 87.3);   // [MIN, MAX]
                    case 1 -> (float) (rnd.nextGaussian() * 2);
                    case 2 -> (float) (rnd.nextDouble() * 1e-3);
                    default -> -(float) (rnd.nextDouble() * 30);   // softmax's range: x − max ≤ 0
                };
            }
            Exp.exp(FloatVector.fromArray(F, x, 0)).intoArray(y, 0);
            for (int i = 0; i < x.length; i++) {
                assertEquals(Float.floatToRawIntBits(Exp.exp(x[i])), Float.floatToRawIntBits(y[i]), "exp(" + x[i] + ")");
                double expected = Math.exp(x[i]);
                assertTrue(Math.abs(y[i] - expected) <= 2 * Math.ulp((float) expected), "exp(" + x[i] + ") = " + y[i] + ", expected " + expected);
            }
        }
    }

    @Test
    void extremesAreClampedNotInfinite() {
        assertEquals(0f, Exp.exp(-1000f));
        assertEquals(0f, Exp.exp(Float.NEGATIVE_INFINITY));
        float[] ninf = new float[F.length()];
        java.util.Arrays.fill(ninf, Float.NEGATIVE_INFINITY);
        assertEquals(0f, Exp.exp(FloatVector.fromArray(F, ninf, 0)).reduceLanes(jdk.incubator.vector.VectorOperators.MAX));
        assertTrue(Float.isFinite(Exp.exp(1000f)) && Exp.exp(1000f) > 1e38f);
        assertEquals(1f, Exp.exp(0f));
    }
}
