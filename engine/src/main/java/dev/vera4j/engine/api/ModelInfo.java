package dev.vera4j.engine.api;

import java.nio.file.Path;

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
    /** Whether the {@code jdk.incubator.vector} module is active (otherwise kernels run their scalar paths). */
    public boolean vectorApiActive() { return simdLanes > 0; }

    /** Bytes of a KV cache of {@code contextLength} positions with {@code bytesPerValue} (2 for F16, 4 for F32). */
    public long kvCacheBytes(int contextLength, int bytesPerValue) {
        return 2L * blockCount * contextLength * kvDim * bytesPerValue;
    }
}
