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
