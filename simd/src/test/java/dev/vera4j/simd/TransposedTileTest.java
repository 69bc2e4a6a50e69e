package dev.vera4j.simd;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Token groups give the bits of single tokens, and {@link TransposedTile#accumulate} matches a plain double sum. */
class TransposedTileTest {
    @Test
    void tokenPairsGiveTheSameBitsAsSingleTokens() {
        Random rnd = new Random(5);
        int rb = 11, stride = 300, width = 290, rows = 20;
        float[] tile = new float[rb * stride], dy = new float[2 * rows];
        for (int i = 0; i < tile.length; i++) tile[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < dy.length; i++) dy[i] = (float) rnd.nextGaussian();
        float[] pair = new float[2 * stride], single = new float[2 * stride];
        for (int i = 0; i < pair.length; i++) pair[i] = single[i] = (float) rnd.nextGaussian();
        TransposedTile.accumulateTilePair(dy, 3, rows, rb, stride, tile, 7, width, pair, 5, stride);
        TransposedTile.accumulateTile(dy, 3, rb, stride, tile, 7, width, single, 5);
        TransposedTile.accumulateTile(dy, 3 + rows, rb, stride, tile, 7, width, single, 5 + stride);
        assertArrayEquals(single, pair);
    }

    @Test
    void tokenQuadsGiveTheSameBitsAsSingleTokens() {
        Random rnd = new Random(6);
        int rb = 13, stride = 300, width = 290, rows = 20;   // 290 leaves a part that goes through the pair path
        float[] tile = new float[rb * stride], dy = new float[4 * rows];
        for (int i = 0; i < tile.length; i++) tile[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < dy.length; i++) dy[i] = (float) rnd.nextGaussian();
        float[] quad = new float[4 * stride], single = new float[4 * stride];
        for (int i = 0; i < quad.length; i++) quad[i] = single[i] = (float) rnd.nextGaussian();
        TransposedTile.accumulateTileQuad(dy, 3, rows, rb, stride, tile, 7, width, quad, 5, stride);
        for (int t = 0; t < 4; t++) {
            TransposedTile.accumulateTile(dy, 3 + t * rows, rb, stride, tile, 7, width, single, 5 + t * stride);
        }
        assertArrayEquals(single, quad);
    }

    @Test
    void accumulateMatchesAPlainSum() {
        Random rnd = new Random(8);
        int rows = 70, stride = 600, c0 = 9, width = 530, n = 7, rb = 50, r0 = 11;   // two strips, ragged end
        float[] w = new float[rows * stride + 3], dy = new float[n * rows], dx = new float[n * stride];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < dy.length; i++) dy[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < dx.length; i++) dx[i] = i * 1e-3f;
        float[] before = dx.clone();
        TransposedTile.accumulate(dy, r0, rows, rb, stride, w, 3 + r0 * stride, c0, width, dx, 0, stride, n);
        for (int t = 0; t < n; t++) {
            for (int k = 0; k < stride; k++) {
                double s = before[t * stride + k];
                if (k >= c0 && k < c0 + width) for (int r = r0; r < r0 + rb; r++) s += (double) dy[t * rows + r] * w[3 + r * stride + k];
                assertEquals(s, dx[t * stride + k], 1e-4 * (1 + Math.abs(s)), "t " + t + " k " + k);
            }
        }
    }
}
