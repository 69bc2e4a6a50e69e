package dev.vera4j.engine.api;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufTensor;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/**
 * What a loaded model is and how it runs: for load messages and for callers that size contexts.
 *
 * <pre>{@code
 * ModelInfo i = model.info();
 * System.out.println(i.architecture() + ", " + i.parameters() + " parameters, " + i.quantization());
 * }</pre>
 *
 * @param name          {@code general.name}, or the file name
 * @param fileBytes     size of the GGUF file (mapped, not copied)
 * @param parameters    number of weights in all tensors
 * @param quantization  the tensor type holding most matrix weights, e.g. {@code Q8_0}
 * @param contextLength the context the model was trained for
 * @param kvDim         key/value width per layer (for memory estimates)
 * @param threads       threads of the model's worker pool
 * @param simdLanes     float lanes of the Vector API species in use; 0 when the Vector API module is not active
 */
public record ModelInfo(Path path, String name, String architecture, long fileBytes, long parameters, String quantization,
                        int blockCount, int contextLength, int vocabSize, int kvDim, int threads, int simdLanes) {
    /**
     * The description of an open GGUF file: what {@link Model#info()} reports for a loaded model, and
     * {@code Vera4j.describe} for a file not loaded.
     */
    public static ModelInfo of(Path path, GgufFile f, int threads) {
        var md = f.metadata();
        String arch = md.has("general.architecture") ? md.getString("general.architecture") : "unknown";
        String name = md.has("general.name") ? md.getString("general.name") : String.valueOf(path.getFileName());
        long params = 0;
        Map<GgmlType, Long> matrices = new EnumMap<>(GgmlType.class);
        for (GgufTensor t : f.tensors().values()) {
            params += t.elementCount();
            if (t.rank() >= 2) matrices.merge(t.type(), t.elementCount(), Long::sum);
        }
        String quant = matrices.entrySet().stream().max(Map.Entry.comparingByValue()).map(e -> e.getKey().name()).orElse("none");
        String p = arch + ".";
        int blocks = (int) md.getLongOr(p + "block_count", 0);
        int heads = (int) md.getLongOr(p + "attention.head_count", 0);
        int kvHeads = (int) md.getLongOr(p + "attention.head_count_kv", heads);
        int dim = (int) md.getLongOr(p + "embedding_length", 0);
        int headDim = (int) md.getLongOr(p + "attention.key_length", heads == 0 ? 0 : dim / heads);
        int vocab = md.has("tokenizer.ggml.tokens") ? md.getStringArray("tokenizer.ggml.tokens").length : (int) md.getLongOr(p + "vocab_size", 0);
        return new ModelInfo(path, name, arch, f.fileSize(), params, quant, blocks, (int) md.getLongOr(p + "context_length", 0),
                vocab, kvHeads * headDim, threads, activeSimdLanes());
    }

    /** Float lanes of the preferred Vector API species, or 0 when the incubator module is not in the boot layer. */
    public static int activeSimdLanes() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) return 0;
        return jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
    }

    /** Whether the {@code jdk.incubator.vector} module is active (otherwise kernels run their scalar paths). */
    public boolean vectorApiActive() { return simdLanes > 0; }

    /** Bytes of a KV cache of {@code contextLength} positions with {@code bytesPerValue} (2 for F16, 4 for F32). */
    public long kvCacheBytes(int contextLength, int bytesPerValue) {
        return 2L * blockCount * contextLength * kvDim * bytesPerValue;
    }
}
