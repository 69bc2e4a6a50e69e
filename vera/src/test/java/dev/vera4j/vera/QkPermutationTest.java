package dev.vera4j.vera;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class QkPermutationTest {
    /**
     * convert_hf_to_gguf.py LlamaModel.permute: w.reshape(n_head, 2, d/2, in).swapaxes(1, 2).reshape(w.shape).
     * Output element (h, i, j) of the (n_head, d/2, 2) view is input element (h, j, i) of the (n_head, 2, d/2) view.
     */
    static float[] numpyPermute(float[] rows, int nHead) {
        int d = rows.length / nHead, half = d / 2;
        float[] out = new float[rows.length];
        for (int h = 0; h < nHead; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) out[h * d + i * 2 + j] = rows[h * d + j * half + i];
            }
        }
        return out;
    }

    @Test
    void matchesLlamaCppConverter() {
        for (int[] heads : new int[][] {{8, 8}, {4, 64}, {32, 64}, {2, 2}}) {
            int nHead = heads[0], d = heads[1];
            float[] v = new float[nHead * d];
            for (int i = 0; i < v.length; i++) v[i] = i;
            assertArrayEquals(numpyPermute(v, nHead), QkPermutation.toGguf(v, d), nHead + " heads of " + d);
        }
    }

    @Test
    void rowMappingWithinAndAcrossHeads() {
        int[] expected = {0, 2, 4, 6, 1, 3, 5, 7};
        for (int i = 0; i < 8; i++) {
            assertEquals(expected[i], QkPermutation.ggufRow(i, 8));
            assertEquals(8 + expected[i], QkPermutation.ggufRow(8 + i, 8));
        }
    }

    @Test
    void matrixRowsMoveWholeAndInverseRestores() {
        int rows = 12, cols = 3, d = 4;
        float[] m = new float[rows * cols];
        for (int i = 0; i < m.length; i++) m[i] = i;
        float[] p = QkPermutation.rowsToGguf(m, rows, cols, d);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) assertEquals(m[r * cols + c], p[QkPermutation.ggufRow(r, d) * cols + c]);
        }
        float[] v = TestAdapters.randomFloats(new java.util.Random(3), 24);
        assertArrayEquals(v, QkPermutation.toHuggingFace(QkPermutation.toGguf(v, 8), 8));
        // only the first rows of a taller matrix (B has out_max rows, the layer uses out of them)
        float[] tall = new float[20 * cols];
        for (int i = 0; i < tall.length; i++) tall[i] = i;
        float[] top = QkPermutation.rowsToGguf(tall, 8, cols, 4);
        assertEquals(8 * cols, top.length);
        assertEquals(tall[2 * cols], top[cols]);  // head size 4: HF row 2 (second half, i=0) becomes GGUF row 1
    }

    @Test
    void onlyLlamaIsPermuted() {
        assertTrue(QkPermutation.appliesTo("llama"));
        assertFalse(QkPermutation.appliesTo("qwen2"));
        assertFalse(QkPermutation.appliesTo("qwen3"));
    }

    @Test
    void rejectsBadShapes() {
        assertThrows(IllegalArgumentException.class, () -> QkPermutation.ggufRow(0, 3));
        assertThrows(IllegalArgumentException.class, () -> QkPermutation.toGguf(new float[10], 4));
        assertThrows(IllegalArgumentException.class, () -> QkPermutation.rowsToGguf(new float[10], 8, 2, 4));
    }
}
