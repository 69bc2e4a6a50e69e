package dev.vera4j.cuda;

import dev.vera4j.engine.backend.DeviceException;
import dev.vera4j.engine.model.Activation;
import dev.vera4j.engine.model.BlockStyle;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.engine.model.RopeScaling;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The models {@link CudaForward} computes: the llama family (llama, mistral, qwen2 with q/k/v biases, qwen3 with q/k
 * norms), dense. The other families' features (Gemma's GELU, post-norms, embedding scale and soft-caps, sliding
 * windows, Phi-3's LongRoPE, experts) have no kernels yet, so their models are refused with one line that names the
 * architecture and what the GPU lacks, before anything is uploaded, rather than run without those features.
 *
 * <pre>{@code
 * GpuModels.require(config);
 * // DeviceException: the GPU cannot run gemma2 models yet (GELU_TANH activation, post-norms, embedding scale,
 * //     soft-caps, sliding window); it runs llama, mistral, qwen2 and qwen3 without experts: use --device cpu
 * }</pre>
 */
final class GpuModels {
    static final Set<String> ARCHITECTURES = Set.of("llama", "mistral", "qwen2", "qwen3");

    private GpuModels() {}

    /** @throws DeviceException naming the architecture and the missing features, if the GPU cannot run {@code c} */
    static void require(ModelConfig c) {
        List<String> missing = missingFeatures(c);
        if (ARCHITECTURES.contains(c.architecture()) && missing.isEmpty()) return;
        throw new DeviceException("the GPU cannot run " + c.architecture() + (c.moe() ? " mixture-of-experts" : "")
                + " models yet (" + (missing.isEmpty() ? "no kernels for the architecture" : String.join(", ", missing))
                + "); it runs llama, mistral, qwen2 and qwen3 without experts: use --device cpu");
    }

    /** What {@code c} needs beyond the llama block {@link CudaForward} runs (the attention scale it takes as it is). */
    static List<String> missingFeatures(ModelConfig c) {
        List<String> missing = new ArrayList<>();
        BlockStyle s = c.style();
        if (s.activation() != Activation.SILU) missing.add(s.activation() + " activation");
        if (s.postNorms()) missing.add("post-norms");
        if (s.embeddingScale() != 1f) missing.add("embedding scale");
        if (s.attnSoftCap() > 0 || s.finalSoftCap() > 0) missing.add("soft-caps");
        if (c.window().size() > 0) missing.add("sliding window");
        if (c.ropeScaling().type() == RopeScaling.Type.LONGROPE) missing.add("LongRoPE");
        if (c.moe()) missing.add(c.experts().count() + " experts");
        return missing;
    }
}
