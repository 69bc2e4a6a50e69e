package dev.vera4j.vera;

/**
 * The row order llama.cpp's converter gives the q and k projections of {@code llama}-architecture GGUFs, and how to
 * bring Hugging Face-ordered adapter vectors into it.
 *
 * <p>{@code convert_hf_to_gguf.py} ({@code LlamaModel.permute}) rewrites q and k as
 * {@code w.reshape(n_head, 2, d/2, in).swapaxes(1, 2).reshape(w.shape)}, with {@code d} the head size, so that RoPE
 * rotates adjacent pairs: within each head, Hugging Face row {@code i < d/2} becomes GGUF row {@code 2i} and row
 * {@code d/2 + i} becomes {@code 2i + 1}. PEFT's {@code vera_lambda_b} and the rows of {@code vera_B} follow the
 * Hugging Face order, so the output-side pieces of a q/k adapter must be reordered the same way or the adapter
 * silently does the wrong thing. Input-side pieces ({@code A}, {@code λ_d}) are unaffected: the converter does not
 * touch columns.
 *
 * <pre>{@code
 * QkPermutation.ggufRow(1, 8)                       // 2
 * QkPermutation.ggufRow(4, 8)                       // 1: HF row d/2 + 0
 * float[] lb = QkPermutation.toGguf(lambdaB, 64);    // λ_b of a q projection with 64-wide heads, in GGUF row order
 * }</pre>
 */
public final class QkPermutation {
    private QkPermutation() {}

    /**
     * Whether llama.cpp permutes q/k rows in GGUFs of {@code architecture}: only {@code llama} (which also covers
     * Mistral checkpoints converted by {@code LlamaModel}); qwen2/qwen3 keep Hugging Face's NEOX half-split order.
     */
    public static boolean appliesTo(String architecture) {
        return "llama".equals(architecture);
    }

    /**
     * The GGUF row that Hugging Face row {@code hfRow} of a q/k projection ends up in.
     *
     * @throws IllegalArgumentException if {@code headDim} is not a positive even number or the row is negative
     */
    public static int ggufRow(int hfRow, int headDim) {
        checkHeadDim(headDim);
        if (hfRow < 0) throw new IllegalArgumentException("negative row " + hfRow);
        int head = hfRow / headDim, i = hfRow % headDim, half = headDim / 2;
        return head * headDim + (i < half ? 2 * i : 2 * (i - half) + 1);
    }

    /**
     * A copy of {@code v} (one value per output row, Hugging Face order) in GGUF row order.
     *
     * @throws IllegalArgumentException if the length is not a whole number of heads
     */
    public static float[] toGguf(float[] v, int headDim) {
        return rowsToGguf(v, v.length, 1, headDim);
    }

    /**
     * A copy of the first {@code rows} rows of the row-major {@code rows x cols} matrix {@code m} (Hugging Face row
     * order) with its rows moved to GGUF order.
     *
     * @throws IllegalArgumentException if {@code rows} is not a whole number of heads or {@code m} is too short
     */
    public static float[] rowsToGguf(float[] m, int rows, int cols, int headDim) {
        checkHeadDim(headDim);
        if (rows % headDim != 0) {
            throw new IllegalArgumentException(rows + " rows are not a whole number of heads of " + headDim);
        }
        if ((long) rows * cols > m.length) {
            throw new IllegalArgumentException("matrix of " + m.length + " values has fewer than " + rows + " rows of " + cols);
        }
        float[] out = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(m, r * cols, out, ggufRow(r, headDim) * cols, cols);
        }
        return out;
    }

    /**
     * The inverse of {@link #rowsToGguf}: a copy of the row-major {@code rows x cols} matrix {@code m} (GGUF row
     * order) with its rows back in Hugging Face order.
     *
     * @throws IllegalArgumentException if {@code rows} is not a whole number of heads or {@code m} is too short
     */
    public static float[] rowsToHuggingFace(float[] m, int rows, int cols, int headDim) {
        checkHeadDim(headDim);
        if (rows % headDim != 0) throw new IllegalArgumentException(rows + " rows are not a whole number of heads of " + headDim);
        if ((long) rows * cols > m.length) throw new IllegalArgumentException("matrix of " + m.length + " values has fewer than " + rows + " rows of " + cols);
        float[] out = new float[rows * cols];
        for (int r = 0; r < rows; r++) System.arraycopy(m, ggufRow(r, headDim) * cols, out, r * cols, cols);
        return out;
    }

    /** The inverse of {@link #toGguf}: GGUF row order back to Hugging Face order. */
    public static float[] toHuggingFace(float[] v, int headDim) {
        checkHeadDim(headDim);
        if (v.length % headDim != 0) {
            throw new IllegalArgumentException(v.length + " rows are not a whole number of heads of " + headDim);
        }
        float[] out = new float[v.length];
        for (int r = 0; r < v.length; r++) out[r] = v[ggufRow(r, headDim)];
        return out;
    }

    private static void checkHeadDim(int headDim) {
        if (headDim <= 0 || headDim % 2 != 0) {
            throw new IllegalArgumentException("head size must be a positive even number, got " + headDim);
        }
    }
}
