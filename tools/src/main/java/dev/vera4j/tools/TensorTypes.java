package dev.vera4j.tools;

import dev.vera4j.gguf.GgmlType;

/**
 * The weight types of a {@code make-model} file: one type for every matrix, or {@code Q4_K_M}'s mix, which (like
 * llama.cpp's) spends Q6_K on the matrices quantization hurts most (attn_v, ffn_down, the embeddings and the output)
 * and Q4_K on the rest.
 *
 * <pre>{@code
 * TensorTypes t = TensorTypes.parse("Q4_K_M");
 * t.of("blk.0.ffn_down.weight");   // Q6_K
 * t.of("blk.0.attn_q.weight");     // Q4_K
 * }</pre>
 *
 * @param fileType llama.cpp's {@code general.file_type} (LLAMA_FTYPE_*)
 */
record TensorTypes(String name, GgmlType main, GgmlType sensitive, int fileType) {
    /** @throws UsageException for a type make-model does not write */
    static TensorTypes parse(String s) {
        return switch (s.toUpperCase()) {
            case "Q8_0" -> new TensorTypes("Q8_0", GgmlType.Q8_0, GgmlType.Q8_0, 7);
            case "Q4_0" -> new TensorTypes("Q4_0", GgmlType.Q4_0, GgmlType.Q4_0, 2);
            case "Q4_K_M" -> new TensorTypes("Q4_K_M", GgmlType.Q4_K, GgmlType.Q6_K, 15);
            case "F16" -> new TensorTypes("F16", GgmlType.F16, GgmlType.F16, 1);
            case "F32" -> new TensorTypes("F32", GgmlType.F32, GgmlType.F32, 0);
            default -> throw new UsageException("--type must be Q8_0, Q4_0, Q4_K_M, F16 or F32, got '" + s + "'");
        };
    }

    /** The type of matrix {@code tensor}. */
    GgmlType of(String tensor) {
        boolean sensitiveMatrix = tensor.endsWith(".attn_v.weight") || tensor.endsWith(".ffn_down.weight")
                || tensor.equals("token_embd.weight") || tensor.equals("output.weight");
        return sensitiveMatrix ? sensitive : main;
    }

    /** @throws UsageException when a matrix of {@code shape} is not whole blocks of these types */
    void check(ModelShape shape) {
        int block = Math.max(main.blockSize(), sensitive.blockSize());
        for (int cols : new int[] {shape.dim(), shape.ffn()}) {   // the row lengths (inputs) of every matrix
            if (cols % block != 0) {
                throw new UsageException("--type " + name + " needs matrix sides in whole blocks of " + block + "; " + shape.name()
                        + " has " + cols + " (try a larger shape, e.g. small-llama3)");
            }
        }
    }

    @Override
    public String toString() { return name; }
}
