package dev.vera4j.simd;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The single-token F16 kernel: its shortcut widening against {@link Float#float16ToFloat}, and its special-value fallback. */
class F16DotTest {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A one-hot activation picks one weight out of the vector loop: every finite half must come out exactly. */
    @Test
    void widensEveryFiniteHalfExactly() {
        assumeTrue(Vec.ENABLED, "vector kernels disabled on this hardware");
        int cols = 2 * Vec.L;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment row = arena.allocate(2L * cols + 1).asSlice(1);
            float[] x = new float[cols];
            for (int base = 0; base < 65536; base += cols) {
                for (int j = 0; j < cols; j++) {
                    short h = (short) (base + j);
                    row.set(I16, 2L * j, Float.isFinite(Float.float16ToFloat(h)) ? h : 0);
                }
                for (int j = 0; j < cols; j++) {
                    x[j] = 1;
                    float want = Float.float16ToFloat(row.get(I16, 2L * j)) + 0f;   // the sum of one product drops a -0 sign
                    assertEquals(want, F16Dot.dot(row, 0, x, 0, cols), "half 0x" + Integer.toHexString((base + j) & 0xffff));
                    x[j] = 0;
                }
            }
        }
    }

    /** Rows with an infinity or a NaN (which the shortcut would turn finite) give the IEEE result, as the exact path. */
    @Test
    void rowsWithInfinityOrNanTakeTheExactPath() {
        assumeTrue(Vec.ENABLED, "vector kernels disabled on this hardware");
        Random rnd = new Random(8);
        int cols = 4 * Vec.L + 3;
        short[] specials = {(short) 0x7c00, (short) 0xfc00, (short) 0x7e00, (short) 0x7c01};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment row = arena.allocate(2L * cols);
            float[] x = TestWeights.randomVector(cols, rnd);
            for (short special : specials) {
                for (int at : new int[]{0, Vec.L + 1, cols - 4}) {
                    for (int k = 0; k < cols; k++) row.set(I16, 2L * k, Float.floatToFloat16((float) rnd.nextGaussian()));
                    row.set(I16, 2L * at, special);
                    double want = 0;
                    for (int k = 0; k < cols; k++) want += (double) Float.float16ToFloat(row.get(I16, 2L * k)) * x[k];
                    float got = F16Dot.dot(row, 0, x, 0, cols);
                    String what = "half 0x" + Integer.toHexString(special & 0xffff) + " at " + at;
                    if (Double.isNaN(want)) assertTrue(Float.isNaN(got), what + ": " + got);
                    else assertEquals((float) want, got, what);
                    assertEquals(Float.floatToIntBits(F16Dot.dotExact(row, 0, x, 0, cols)), Float.floatToIntBits(got), what);
                }
            }
        }
    }

    /** Extremes that stay finite (largest normal, subnormals, signed zeros) take the fast path and sum correctly. */
    @Test
    void extremeFiniteRowsMatchTheExactPath() {
        assumeTrue(Vec.ENABLED, "vector kernels disabled on this hardware");
        Random rnd = new Random(12);
        int cols = 6 * Vec.L + 5;
        short[] extremes = {(short) 0x7bff, (short) 0xfbff, 1, (short) 0x8001, 0x03ff, (short) 0x8000, 0, 0x0400};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment row = arena.allocate(2L * cols);
            for (int k = 0; k < cols; k++) row.set(I16, 2L * k, extremes[rnd.nextInt(extremes.length)]);
            float[] x = TestWeights.randomVector(cols, rnd);
            double want = 0, mag = 0;
            for (int k = 0; k < cols; k++) {
                double p = (double) Float.float16ToFloat(row.get(I16, 2L * k)) * x[k];
                want += p;
                mag += Math.abs(p);
            }
            assertEquals(want, F16Dot.dot(row, 0, x, 0, cols), 1e-6 * mag);
            assertEquals(F16Dot.dotExact(row, 0, x, 0, cols), F16Dot.dot(row, 0, x, 0, cols), 1e-6 * (float) mag);
        }
    }
}
