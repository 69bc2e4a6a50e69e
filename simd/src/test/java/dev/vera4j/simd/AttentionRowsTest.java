package dev.vera4j.simd;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The vector kernels against their scalar references, bit for bit (both sum in index order with fused multiply-adds),
 * and the references against plain double-precision sums, over head sizes and position counts that leave every tail.
 */
class AttentionRowsTest {
    @Test
    void scoresAndMixMatchTheReferences() {
        Random rnd = new Random(5);
        for (int len : new int[]{1, 7, 16, 64, 80, 128}) {
            for (int positions : new int[]{1, 3, 16, 63, 64, 65, 130}) {
                int stride = positions + 5;
                float[] q = TestWeights.randomVector(len + 2, rnd), kt = TestWeights.randomVector(len * stride, rnd);
                float[] v = TestWeights.randomVector(positions * len, rnd), w = TestWeights.randomVector(positions + 1, rnd);
                float[] s = new float[positions + 3], sRef = new float[positions + 3];
                AttentionRows.scores(q, 2, len, kt, stride, positions, 0.125f, s, 3);
                AttentionRows.scoresReference(q, 2, len, kt, stride, positions, 0.125f, sRef, 3);
                String what = "len " + len + " positions " + positions;
                assertArrayEquals(sRef, s, what);
                assertEquals(0f, s[0]);
                for (int p = 0; p < positions; p++) {
                    double e = 0, mag = 0;
                    for (int i = 0; i < len; i++) {
                        e += (double) q[2 + i] * kt[i * stride + p];
                        mag += Math.abs((double) q[2 + i] * kt[i * stride + p]);
                    }
                    assertEquals(0.125 * e, s[3 + p], 1e-6 * mag, what + " p " + p);
                }
                float[] o = new float[len + 4], oRef = new float[len + 4];
                Arrays.fill(o, 9f);
                Arrays.fill(oRef, 9f);
                AttentionRows.mix(w, 1, positions, v, len, o, 4);
                AttentionRows.mixReference(w, 1, positions, v, len, oRef, 4);
                assertArrayEquals(oRef, o, what);
                assertEquals(9f, o[3]);
                for (int i = 0; i < len; i++) {
                    double e = 0, mag = 0;
                    for (int p = 0; p < positions; p++) {
                        e += (double) w[1 + p] * v[p * len + i];
                        mag += Math.abs((double) w[1 + p] * v[p * len + i]);
                    }
                    assertEquals(e, o[4 + i], 1e-6 * mag, what + " i " + i);
                }
                // the window's columns from an offset: as if the leading columns were not there
                int skip = positions / 3, rest = positions - skip;
                float[] sOff = new float[rest], sCut = new float[rest], kCut = new float[len * stride];
                for (int i = 0; i < len; i++) System.arraycopy(kt, i * stride + skip, kCut, i * stride, rest);
                AttentionRows.scores(q, 2, len, kt, skip, stride, rest, 0.125f, sOff, 0);
                AttentionRows.scores(q, 2, len, kCut, stride, rest, 0.125f, sCut, 0);
                assertArrayEquals(sCut, sOff, what + " from column " + skip);
                float[] oOff = new float[len], oCut = new float[len];
                AttentionRows.mix(w, 1, rest, v, skip * len, len, oOff, 0);
                AttentionRows.mix(w, 1, rest, Arrays.copyOfRange(v, skip * len, v.length), len, oCut, 0);
                assertArrayEquals(oCut, oOff, what + " values from position " + skip);
            }
        }
    }
}
