package dev.vera4j.vera.train;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.types.Codecs;
import dev.vera4j.simd.Weights;
import dev.vera4j.simd.WorkerPool;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The blocked, threaded {@code Wᵀ·dy} against the scalar whole-row reference, for float and quantized weights. */
class TransposedProductTest {
    @Test
    void fastMatchesReference() {
        check(40, 512, new GgmlType[] {GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K});
    }

    @Test
    void raggedColumnsAndRowsMatchReference() {
        // columns that are no multiple of the vector width and more than one column strip, rows not a whole row block
        check(35, 1107, new GgmlType[] {GgmlType.F32});
        check(17, 1088, new GgmlType[] {GgmlType.Q8_0});
    }

    @Test
    void tokenPairsGiveTheSameBitsAsSingleTokens() {
        Random rnd = new Random(5);
        int rb = 11, stride = 300, width = 290, rows = 20;
        float[] tile = new float[rb * stride], dy = new float[2 * rows];
        for (int i = 0; i < tile.length; i++) tile[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < dy.length; i++) dy[i] = (float) rnd.nextGaussian();
        float[] pair = new float[2 * stride], single = new float[2 * stride];
        for (int i = 0; i < pair.length; i++) pair[i] = single[i] = (float) rnd.nextGaussian();
        TransposedProduct.accumulateTilePair(dy, 3, rows, rb, stride, tile, 7, width, pair, 5, stride);
        TransposedProduct.accumulateTile(dy, 3, rb, stride, tile, 7, width, single, 5);
        TransposedProduct.accumulateTile(dy, 3 + rows, rb, stride, tile, 7, width, single, 5 + stride);
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
        TransposedProduct.accumulateTileQuad(dy, 3, rows, rb, stride, tile, 7, width, quad, 5, stride);
        for (int t = 0; t < 4; t++) {
            TransposedProduct.accumulateTile(dy, 3 + t * rows, rb, stride, tile, 7, width, single, 5 + t * stride);
        }
        assertArrayEquals(single, quad);
    }

    private static void check(int rows, int cols, GgmlType[] types) {
        Random rnd = new Random(3);
        int n = 7;   // one group of four, one pair, one single token
        try (WorkerPool pool = new WorkerPool(3)) {
            for (GgmlType type : types) {
                float[] w = new float[rows * cols];
                for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
                MemorySegment data = MemorySegment.ofArray(new byte[(int) type.bytesFor((long) rows * cols)]);
                Codecs.of(type).quantize(w, 0, w.length, data, 0);
                Weights wt = new Weights(data, type, rows, cols);
                float[] dy = new float[n * rows];
                for (int i = 0; i < dy.length; i++) dy[i] = (float) rnd.nextGaussian();
                dy[3] = 0f;
                float[] fast = new float[n * cols], ref = new float[n * cols];
                for (int i = 0; i < fast.length; i++) fast[i] = ref[i] = i * 1e-3f;   // accumulates, never overwrites
                new TransposedProduct(pool, cols).accumulate(wt, dy, n, fast);
                TransposedProduct.reference(wt, dy, n, ref);
                for (int i = 0; i < fast.length; i++) assertEquals(ref[i], fast[i], 1e-4f * (1 + Math.abs(ref[i])), type + " at " + i);
            }
        }
    }
}
