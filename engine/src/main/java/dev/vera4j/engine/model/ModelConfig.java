package dev.vera4j.engine.model;

import dev.vera4j.gguf.GgufKeyException;
import dev.vera4j.gguf.GgufMetadata;

/**
 * The hyper-parameters of a decoder-only transformer of one of the supported families, read from GGUF metadata only
 * ({@code <arch>.*} keys, as llama.cpp's converter writes them). What makes a family differ from llama is data here
 * ({@link BlockStyle}, {@link SlidingWindow}, {@link Experts}, the RoPE fields), which the one forward pass reads.
 *
 * <pre>{@code
 * ModelConfig c = ModelConfig.fromMetadata(file.metadata());
 * int kvDim = c.kvDim();                  // headCountKv * headDim
 * c.window().slides(0);                   // gemma2: true (layer 0 attends to a sliding window)
 * c.moe();                                // qwen3moe: true; c.experts().used() experts per token
 * }</pre>
 *
 * @param architecture  {@code general.architecture}: llama, mistral, qwen2, qwen3, gemma2, gemma3, phi3, qwen2moe or
 *                      qwen3moe ({@code llama} with {@code expert_count} is Mixtral-style)
 * @param dim           {@code <arch>.embedding_length}
 * @param feedForwardLength {@code <arch>.feed_forward_length}: the dense FFN's hidden width (of MoE models, not used
 *                      unless as a fallback for the experts' widths, as llama.cpp does)
 * @param headDim       {@code <arch>.attention.key_length}, else {@code dim / headCount}
 * @param ropeDim       {@code <arch>.rope.dimension_count}, else {@code headDim}; the leading dimensions of a head that rotate
 * @param qkvBias       q/k/v projections have bias vectors (qwen2, qwen2moe)
 * @param qkNorm        q and k are RMS-normalized per head before RoPE (qwen3, qwen3moe, gemma3)
 * @param style         activation, post-norms, embedding and attention scales, soft-caps
 * @param window        sliding-window attention and the RoPE of its layers ({@link SlidingWindow#NONE} if none)
 * @param experts       the mixture-of-experts FFN, or {@code null} for a dense model
 */
public record ModelConfig(String architecture, int vocabSize, int contextLength, int dim, int blockCount,
                          int feedForwardLength, int headCount, int headCountKv, int headDim, int ropeDim,
                          float ropeBase, RopeType ropeType, RopeScaling ropeScaling, float rmsEps,
                          boolean qkvBias, boolean qkNorm, BlockStyle style, SlidingWindow window, Experts experts) {

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
        check(style != null && window != null && ropeScaling != null, "style, window and RoPE scaling must be given");
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

    /** Whether the feed-forward networks are mixtures of experts. */
    public boolean moe() { return experts != null; }

    /** The widest hidden layer of a feed-forward network: the dense one, or of an expert or the shared expert. */
    public int maxFeedForward() {
        return moe() ? Math.max(experts.feedForwardLength(), experts.sharedFeedForwardLength()) : feedForwardLength;
    }

    /** Position multiplier: {@code 1/factor} for linear scaling, else 1. */
    public float ropeFreqScale() { return ropeScaling.type() == RopeScaling.Type.LINEAR ? 1f / ropeScaling.factor() : 1f; }

    /** This configuration with another block style (tests switch features off this way). */
    public ModelConfig with(BlockStyle s) { return with(s, window, experts, ropeScaling); }

    /** This configuration with another sliding window. */
    public ModelConfig with(SlidingWindow w) { return with(style, w, experts, ropeScaling); }

    /** This configuration with another mixture of experts. */
    public ModelConfig with(Experts e) { return with(style, window, e, ropeScaling); }

    /** This configuration with another RoPE scaling. */
    public ModelConfig with(RopeScaling r) { return with(style, window, experts, r); }

    private ModelConfig with(BlockStyle s, SlidingWindow w, Experts e, RopeScaling r) {
        return new ModelConfig(architecture, vocabSize, contextLength, dim, blockCount, feedForwardLength, headCount, headCountKv,
                headDim, ropeDim, ropeBase, ropeType, r, rmsEps, qkvBias, qkNorm, s, w, e);
    }

    /** The architectures {@link #fromMetadata} reads. */
    public static final String SUPPORTED = "llama, mistral, qwen2, qwen3, gemma2, gemma3, phi3, qwen2moe, qwen3moe";

    /**
     * Reads the configuration of the model described by {@code m}.
     *
     * @throws ModelConfigException naming the key when one is missing, of the wrong type, or inconsistent
     */
    public static ModelConfig fromMetadata(GgufMetadata m) {
        try {
            String arch = m.getString("general.architecture");
            boolean qkvBias = arch.equals("qwen2") || arch.equals("qwen2moe");
            boolean qkNorm = arch.equals("qwen3") || arch.equals("qwen3moe") || arch.equals("gemma3");
            RopeType ropeType = switch (arch) {
                case "llama", "mistral" -> RopeType.NORM;
                case "qwen2", "qwen3", "gemma2", "gemma3", "phi3", "qwen2moe", "qwen3moe" -> RopeType.NEOX;
                default -> throw new ModelConfigException("general.architecture '" + arch + "' is not supported (supported: " + SUPPORTED + ")");
            };
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
            if (headDim <= 0) throw new ModelConfigException("head dimension " + headDim + " must be positive");
            int vocab;
            if (m.has(arch + ".vocab_size")) vocab = m.getInt(arch + ".vocab_size");
            else if (m.has("tokenizer.ggml.tokens")) vocab = m.getStringArray("tokenizer.ggml.tokens").length;
            else throw new ModelConfigException("metadata key '" + arch + ".vocab_size' is missing and there is no tokenizer.ggml.tokens");
            int blocks = m.getInt(arch + ".block_count");
            int ff = m.getInt(arch + ".feed_forward_length");
            int context = m.getInt(arch + ".context_length");
            RopeScaling scaling = ropeScaling(m, arch);
            return new ModelConfig(arch, vocab, context, dim, blocks, ff, heads, kvHeads, headDim,
                    m.getIntOr(arch + ".rope.dimension_count", headDim),
                    m.getFloatOr(arch + ".rope.freq_base", 10000f),
                    ropeType, scaling,
                    m.getFloat(arch + ".attention.layer_norm_rms_epsilon"),
                    qkvBias, qkNorm,
                    style(m, arch, dim, heads, headDim, blocks),
                    window(m, arch, blocks, kvHeads, context),
                    experts(m, arch, ff));
        } catch (GgufKeyException e) {
            throw new ModelConfigException(e.getMessage());
        }
    }

    /**
     * Gemma's GeGLU, post-norms, {@code √dim} embeddings and soft-caps (llama.cpp's defaults 50 and 30 for Gemma 2
     * when the keys are absent); the attention scale as llama.cpp takes it: {@code <arch>.attention.scale} when the
     * file has it, else for Gemma 2 and 3 their 27B's {@code 1/√(dim/heads)} ({@code query_pre_attn_scalar}, which
     * the converter does not store; llama.cpp tells the 27B by its 46 or 62 layers) and {@code 1/√headDim} otherwise.
     */
    private static BlockStyle style(GgufMetadata m, String arch, int dim, int heads, int headDim, int blocks) {
        boolean gemma = arch.equals("gemma2") || arch.equals("gemma3");
        BlockStyle s = gemma
                ? new BlockStyle(Activation.GELU_TANH, true, (float) Math.sqrt(dim), 1f, 0f, 0f)
                : BlockStyle.llama(headDim);
        float scale;
        if (m.has(arch + ".attention.scale")) scale = m.getFloat(arch + ".attention.scale");
        else if ((arch.equals("gemma2") && blocks == 46) || (arch.equals("gemma3") && blocks == 62)) scale = (float) (1 / Math.sqrt((double) dim / heads));
        else scale = (float) (1 / Math.sqrt(headDim));
        s = s.withAttentionScale(scale);
        if (arch.equals("gemma2")) {
            s = s.withSoftCaps(m.getFloatOr(arch + ".attn_logit_softcapping", 50f), m.getFloatOr(arch + ".final_logit_softcapping", 30f));
        }
        return s;
    }

    /**
     * Gemma 2: every other layer (0, 2, ...) slides over {@code attention.sliding_window} (4096 when absent). Gemma 3:
     * five local layers of six, with their own RoPE base ({@code rope.freq_base_swa}, 10 000 when absent, as
     * llama.cpp). Phi-3: every layer, when the file has a window (older Phi-3 files without the key get llama.cpp's
     * defaults for the models they can be).
     */
    private static SlidingWindow window(GgufMetadata m, String arch, int blocks, int kvHeads, int context) {
        String key = arch + ".attention.sliding_window";
        return switch (arch) {
            case "gemma2" -> new SlidingWindow(m.getIntOr(key, 4096), 2, 0f);
            case "gemma3" -> new SlidingWindow(m.getInt(key), 6, m.getFloatOr(arch + ".rope.freq_base_swa", 10000f));
            case "phi3" -> {
                int legacy = 0;
                if ((blocks == 32 || blocks == 40) && context == 4096) legacy = 2047;
                else if (blocks == 32 && kvHeads == 32 && context == 131072) legacy = 262144;
                else if (blocks == 40 && context == 131072) legacy = 131072;
                yield new SlidingWindow(m.getIntOr(key, legacy), 0, 0f);
            }
            default -> SlidingWindow.NONE;
        };
    }

    /**
     * {@code expert_count} experts of {@code expert_feed_forward_length} (llama.cpp's fallbacks: for llama the dense
     * length, for qwen2moe the dense length over the experts used); Qwen2-MoE's shared expert and unnormalized weights.
     */
    private static Experts experts(GgufMetadata m, String arch, int ff) {
        int count = m.getIntOr(arch + ".expert_count", 0);
        boolean moeArch = arch.equals("qwen2moe") || arch.equals("qwen3moe");
        if (count == 0 && !moeArch) return null;
        if (count == 0) throw new ModelConfigException(arch + ".expert_count is missing or 0");
        int used = m.getInt(arch + ".expert_used_count");
        int expertFf = m.getIntOr(arch + ".expert_feed_forward_length", arch.equals("qwen2moe") ? ff / Math.max(1, used) : ff);
        return switch (arch) {
            case "llama", "mistral", "qwen3moe" -> new Experts(count, used, expertFf, true, 0);
            case "qwen2moe" -> new Experts(count, used, expertFf, false, m.getIntOr(arch + ".expert_shared_feed_forward_length", ff));
            default -> throw new ModelConfigException(arch + " with experts is not supported (mixtures of experts: llama, qwen2moe, qwen3moe)");
        };
    }

    private static RopeScaling ropeScaling(GgufMetadata m, String arch) {
        String p = arch + ".rope.scaling.";
        if (arch.equals("phi3") && m.has(p + "attn_factor")) {
            // the converter writes the attention factor (and the factor tensors) only for LongRoPE models
            return RopeScaling.longRope(m.getInt(p + "original_context_length"), m.getFloat(p + "attn_factor"));
        }
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
