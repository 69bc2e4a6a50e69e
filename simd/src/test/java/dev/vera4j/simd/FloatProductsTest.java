package dev.vera4j.simd;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Both products against plain double sums, on a strided view of a wider matrix, for 1–3 threads and 1–9 tokens. */
class FloatProductsTest {
    @Test
    void multiplyAndTransposedMatchPlainSums() {
        Random rnd = new Random(11);
        int rows = 37, cols = 803, stride = 900, offset = 5;   // ragged: neither a multiple of 4 rows nor of 16 columns
        float[] data = TestWeights.randomVector(offset + rows * stride, rnd);
        FloatRows w = new FloatRows(data, offset, stride, rows, cols);
        for (int threads = 1; threads <= 3; threads++) {
            try (WorkerPool pool = new WorkerPool(threads)) {
                FloatProducts fp = new FloatProducts(pool);
                for (int n = 1; n <= 9; n++) {
                    float[] x = TestWeights.randomVector(2 + n * cols, rnd), y = new float[1 + n * rows];
                    fp.multiply(w, x, 2, y, 1, n);
                    for (int t = 0; t < n; t++) {
                        for (int r = 0; r < rows; r++) {
                            double s = 0, mag = 0;
                            for (int k = 0; k < cols; k++) {
                                double p = (double) data[offset + r * stride + k] * x[2 + t * cols + k];
                                s += p;
                                mag += Math.abs(p);
                            }
                            assertEquals(s, y[1 + t * rows + r], 1e-5 * mag, "multiply threads " + threads + " n " + n + " t " + t + " r " + r);
                        }
                    }
                    float[] dy = TestWeights.randomVector(n * rows, rnd), dx = TestWeights.randomVector(3 + n * cols, rnd);
                    float[] before = dx.clone();
                    fp.accumulateTransposed(w, dy, 0, dx, 3, n);
                    for (int t = 0; t < n; t++) {
                        for (int k = 0; k < cols; k++) {
                            double s = before[3 + t * cols + k], mag = Math.abs(s);
                            for (int r = 0; r < rows; r++) {
                                double p = (double) dy[t * rows + r] * data[offset + r * stride + k];
                                s += p;
                                mag += Math.abs(p);
                            }
                            assertEquals(s, dx[3 + t * cols + k], 1e-5 * mag, "transposed threads " + threads + " n " + n + " t " + t + " k " + k);
                        }
                    }
                    assertEquals(before[0], dx[0]);
                }
            }
        }
    }

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        Random rnd = new Random(12);
        int rows = 256, cols = 2048, n = 8;
        FloatRows w = new FloatRows(TestWeights.randomVector(rows * cols, rnd), 0, cols, rows, cols);
        float[] x = TestWeights.randomVector(n * cols, rnd), dy = TestWeights.randomVector(n * rows, rnd);
        float[][] ys = new float[2][n * rows], dxs = new float[2][n * cols];
        // compared in every round, the first (interpreted) ones included: the sums have one order in every JIT tier
        for (int round = 0; round < 30; round++) {
            for (int i = 0; i < 2; i++) {
                Arrays.fill(dxs[i], 0);
                try (WorkerPool pool = new WorkerPool(i + 1)) {
                    new FloatProducts(pool).multiply(w, x, 0, ys[i], 0, n);
                    new FloatProducts(pool).accumulateTransposed(w, dy, 0, dxs[i], 0, n);
                }
            }
            assertArrayEquals(ys[0], ys[1], "round " + round);
            assertArrayEquals(dxs[0], dxs[1], "round " + round);
        }
    }

    @Test
    void badViewsAndShortArraysAreRejected() {
        float[] data = new float[100];
        assertThrows(IllegalArgumentException.class, () -> new FloatRows(data, 0, 10, 11, 10));
        assertThrows(IllegalArgumentException.class, () -> new FloatRows(data, 0, 5, 2, 10));
        FloatRows w = new FloatRows(data, 0, 10, 10, 10);
        var fp = new FloatProducts(null);
        assertThrows(IllegalArgumentException.class, () -> fp.multiply(w, new float[19], 0, new float[20], 0, 2));
        assertThrows(IllegalArgumentException.class, () -> fp.accumulateTransposed(w, new float[20], 0, new float[19], 0, 2));
    }
}
