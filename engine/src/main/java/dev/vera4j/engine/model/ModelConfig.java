package dev.vera4j.engine.model;

import dev.vera4j.gguf.GgufKeyException;
import dev.vera4j.gguf.GgufMetadata;

/**
 * The hyper-parameters of a llama-family transformer, read from GGUF metadata only ({@code <arch>.*} keys).
 *
 * <pre>{@code
 * ModelConfig c = ModelConfig.fromMetadata(file.metadata());
 * int kvDim = c.kvDim();   // headCountKv * headDim
 * }</pre>
 *
 * @param architecture  {@code general.architecture}: llama, mistral, qwen2 or qwen3
 * @param dim           {@code <arch>.embedding_length}
 * @param headDim       {@code <arch>.attention.key_length}, else {@code dim / headCount}
 * @param ropeDim       {@code <arch>.rope.dimension_count}, else {@code headDim}; the leading dimensions of a head that rotate
 * @param ropeScale     position multiplier for linear scaling ({@code 1 / factor}); 1 otherwise
 * @param qkvBias       q/k/v projections have bias vectors (qwen2)
 * @param qkNorm        q and k are RMS-normalized per head before RoPE (qwen3)
 */
public record ModelConfig(String architecture, int vocabSize, int contextLength, int dim, int blockCount,
                          int feedForwardLength, int headCount, int headCountKv, int headDim, int ropeDim,
                          float ropeBase, RopeType ropeType, RopeScaling ropeScaling, float rmsEps,
                          boolean qkvBias, boolean qkNorm) {

    public ModelConfig {
        check(vocabSize > 0, "vocabulary size must be positive, got " + vocabSize);
        check(dim > 0, architecture + ".embedding_length must be positive, got " + dim);
        check(blockCount > 0, architecture + ".block_count must be positive, got " + blockCount);
        check(feedForwardLength > 0, architecture + ".feed_forward_length must be positive, got " + feedForwardLength);
        check(headCount > 0, architecture + ".attention.head_count must be positive, got " + headCount);
        check(headCountKv > 0 && headCount % headCountKv == 0, architecture + ".attention.head_count_kv = " + headCountKv
                + " must be positive and divide attention.head_count = " + headCount);
        check(headDim > 0 && headDim % 2 == 0, "head dimension " + headDim + " must be positive and even");
        check(ropeDim > 0 && ropeDim % 2 == 0 && ropeDim <= headDim, architecture + ".rope.dimension_count = " + ropeDim
                + " must be even and at most the head dimension " + headDim);
        check(ropeBase > 0, architecture + ".rope.freq_base must be positive, got " + ropeBase);
        check(rmsEps > 0, architecture + ".attention.layer_norm_rms_epsilon must be positive, got " + rmsEps);
        check(contextLength > 0, architecture + ".context_length must be positive, got " + contextLength);
    }

    private static void check(boolean ok, String message) {
        if (!ok) throw new ModelConfigException(message);
    }

    /** Width of all query heads together. */
    public int qDim() { return headCount * headDim; }

    /** Width of all key (or value) heads together. */
    public int kvDim() { return headCountKv * headDim; }

    /** Query heads per key/value head. */
    public int groupSize() { return headCount / headCountKv; }

    /** Position multiplier: {@code 1/factor} for linear scaling, else 1. */
    public float ropeFreqScale() { return ropeScaling.type() == RopeScaling.Type.LINEAR ? 1f / ropeScaling.factor() : 1f; }

    /**
     * Reads the configuration of the model described by {@code m}.
     *
     * @throws ModelConfigException naming the key when one is missing, of the wrong type, or inconsistent
     */
    public static ModelConfig fromMetadata(GgufMetadata m) {
        try {
            String arch = m.getString("general.architecture");
            boolean qkvBias, qkNorm;
            RopeType ropeType;
            switch (arch) {
                case "llama", "mistral" -> { qkvBias = false; qkNorm = false; ropeType = RopeType.NORM; }
                case "qwen2" -> { qkvBias = true; qkNorm = false; ropeType = RopeType.NEOX; }
                case "qwen3" -> { qkvBias = false; qkNorm = true; ropeType = RopeType.NEOX; }
                default -> throw new ModelConfigException("general.architecture '" + arch
                        + "' is not supported (supported: llama, mistral, qwen2, qwen3)");
            }
            int dim = m.getInt(arch + ".embedding_length");
            int heads = m.getInt(arch + ".attention.head_count");
            int kvHeads = m.getIntOr(arch + ".attention.head_count_kv", heads);
            int headDim;
            if (m.has(arch + ".attention.key_length")) {
                headDim = m.getInt(arch + ".attention.key_length");
            } else {
                if (heads <= 0 || dim % heads != 0) throw new ModelConfigException(arch + ".embedding_length = " + dim
                        + " is not a multiple of " + arch + ".attention.head_count = " + heads);
                headDim = dim / heads;
            }
            int valueLength = m.getIntOr(arch + ".attention.value_length", headDim);
            if (valueLength != headDim) throw new ModelConfigException(arch + ".attention.value_length = " + valueLength
                    + " differs from attention.key_length = " + headDim + " (not supported)");
            int vocab;
            if (m.has(arch + ".vocab_size")) vocab = m.getInt(arch + ".vocab_size");
            else if (m.has("tokenizer.ggml.tokens")) vocab = m.getStringArray("tokenizer.ggml.tokens").length;
            else throw new ModelConfigException("metadata key '" + arch + ".vocab_size' is missing and there is no tokenizer.ggml.tokens");
            return new ModelConfig(arch, vocab,
                    m.getInt(arch + ".context_length"),
                    dim,
                    m.getInt(arch + ".block_count"),
                    m.getInt(arch + ".feed_forward_length"),
                    heads, kvHeads, headDim,
                    m.getIntOr(arch + ".rope.dimension_count", headDim),
                    m.getFloatOr(arch + ".rope.freq_base", 10000f),
                    ropeType,
                    ropeScaling(m, arch),
                    m.getFloat(arch + ".attention.layer_norm_rms_epsilon"),
                    qkvBias, qkNorm);
        } catch (GgufKeyException e) {
            throw new ModelConfigException(e.getMessage());
        }
    }

    private static RopeScaling ropeScaling(GgufMetadata m, String arch) {
        String p = arch + ".rope.scaling.";
        String type = m.getStringOr(p + "type", m.has(arch + ".rope.scale_linear") ? "linear" : "none");
        float factor = m.has(p + "factor") ? m.getFloat(p + "factor") : m.getFloatOr(arch + ".rope.scale_linear", 1f);
        return switch (type) {
            case "none" -> RopeScaling.NONE;
            case "linear" -> {
                if (!(factor > 0)) throw new ModelConfigException(p + "factor must be positive, got " + factor);
                yield factor == 1f ? RopeScaling.NONE : new RopeScaling(RopeScaling.Type.LINEAR, factor, 1f, 4f, 0);
            }
            case "llama3" -> {
                RopeScaling s = new RopeScaling(RopeScaling.Type.LLAMA3, factor,
                        m.getFloatOr(p + "low_freq_factor", 1f), m.getFloatOr(p + "high_freq_factor", 4f),
                        m.getIntOr(p + "original_context_length", 8192));
                if (!(s.factor() > 0) || !(s.highFreqFactor() > s.lowFreqFactor()) || s.originalContext() <= 0) {
                    throw new ModelConfigException(p + "* are inconsistent for llama3 scaling: " + s);
                }
                yield s;
            }
            default -> throw new ModelConfigException(p + "type '" + type + "' is not supported (none, linear, llama3)");
        };
    }
}
