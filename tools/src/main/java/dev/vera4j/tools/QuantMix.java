package dev.vera4j.tools;

import dev.vera4j.gguf.GgmlType;

import java.util.Arrays;
import java.util.Locale;

/**
 * The file types of llama.cpp's {@code llama-quantize} (its {@code LLAMA_FTYPE_MOSTLY_*}), with the type it gives
 * each tensor — its {@code llama_tensor_get_type} rules for the types vera4j can encode, which key on tensor names —
 * so that {@code make-model --type Q4_K_M} writes the mix users download: the output matrix (or the embedding it is
 * tied to) in Q6_K, more bits in some layers' {@code attn_v} and {@code ffn_down} (expert stacks
 * {@code ffn_down_exps} and the shared expert's {@code ffn_down_shexp} included), Phi-3's fused {@code attn_qkv} one
 * step up, {@code attn_k}/{@code attn_v} in Q8_0 and {@code attn_output} in Q5_K for models of exactly 8 experts, and
 * llama.cpp's fallbacks for rows that are not whole blocks. With {@code pure}, every matrix takes the base type (as
 * {@code llama-quantize --pure}), or its fallback where rows are not whole blocks of it.
 *
 * <pre>{@code
 * QuantMix.Q4_K_M.typeOf("blk.0.ffn_down.weight", 8192, ModelShape.named("llama3-1b"), false)   // Q6_K: layer 0 uses more bits
 * }</pre>
 */
enum QuantMix {
    F32(GgmlType.F32, 0), F16(GgmlType.F16, 1), BF16(GgmlType.BF16, 32), Q8_0(GgmlType.Q8_0, 7),
    Q4_0(GgmlType.Q4_0, 2), Q4_1(GgmlType.Q4_1, 3), Q5_0(GgmlType.Q5_0, 8), Q5_1(GgmlType.Q5_1, 9),
    Q2_K(GgmlType.Q2_K, 10), Q3_K_S(GgmlType.Q3_K, 11), Q3_K_M(GgmlType.Q3_K, 12), Q3_K_L(GgmlType.Q3_K, 13),
    Q4_K_S(GgmlType.Q4_K, 14), Q4_K_M(GgmlType.Q4_K, 15), Q5_K_S(GgmlType.Q5_K, 16), Q5_K_M(GgmlType.Q5_K, 17),
    Q6_K(GgmlType.Q6_K, 18), IQ4_NL(GgmlType.IQ4_NL, 25), IQ4_XS(GgmlType.IQ4_XS, 30);

    final GgmlType base;
    /** llama.cpp's {@code general.file_type}. */
    final int fileType;

    QuantMix(GgmlType base, int fileType) {
        this.base = base;
        this.fileType = fileType;
    }

    /** @throws UsageException naming the known types */
    static QuantMix named(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--type must be one of " + String.join(", ", Arrays.stream(values()).map(Enum::name).toList()) + ", got '" + name + "'");
        }
    }

    /**
     * The type of the matrix {@code name} (GGUF naming; its block is read from the name, as llama.cpp does for models
     * with experts) with {@code cols} values per row, in a model of shape {@code s}.
     */
    GgmlType typeOf(String name, int cols, ModelShape s, boolean pure) {
        if (!base.isQuantized()) return base;
        if (pure) return fitting(base, cols);
        int layer = name.startsWith("blk.") ? Integer.parseInt(name.substring(4, name.indexOf('.', 4))) : -1;
        int layers = s.layers(), gqa = s.heads() / s.kvHeads();
        boolean eightExperts = s.moe() != null && s.moe().experts() == 8;
        GgmlType t = base;
        if (name.equals("output.weight") || (s.tied() && name.equals("token_embd.weight"))) {
            t = cols % base.blockSize() != 0 ? GgmlType.Q8_0 : base == GgmlType.Q8_0 ? GgmlType.Q8_0 : GgmlType.Q6_K;
        } else if (name.contains("attn_v.weight")) {
            t = switch (this) {
                case Q2_K -> gqa >= 4 ? GgmlType.Q4_K : GgmlType.Q3_K;
                case Q3_K_M -> layer < 2 ? GgmlType.Q5_K : GgmlType.Q4_K;
                case Q3_K_L -> GgmlType.Q5_K;
                case IQ4_NL, IQ4_XS -> gqa >= 4 ? GgmlType.Q5_K : base;
                case Q4_K_M, Q5_K_M -> moreBits(layer, layers) ? GgmlType.Q6_K : base;
                case Q4_K_S -> layer < 4 ? GgmlType.Q5_K : base;
                default -> base;
            };
            if (eightExperts) t = GgmlType.Q8_0;
        } else if (name.contains("attn_k.weight")) {
            if (eightExperts) t = GgmlType.Q8_0;
        } else if (name.contains("ffn_down")) {
            t = switch (this) {
                case Q2_K -> GgmlType.Q3_K;
                case Q3_K_M -> layer < layers / 16 ? GgmlType.Q5_K : GgmlType.Q4_K;
                case Q3_K_L -> GgmlType.Q5_K;
                case Q4_K_M, Q5_K_M -> moreBits(layer, layers) ? GgmlType.Q6_K : base;
                case IQ4_NL, IQ4_XS -> layer < layers / 8 ? GgmlType.Q5_K : base;
                case Q4_K_S -> layer < layers / 8 ? GgmlType.Q5_K : base;
                default -> base;
            };
        } else if (name.contains("attn_output.weight")) {
            t = eightExperts ? switch (this) {
                case Q2_K, Q3_K_S, Q3_K_M, IQ4_NL, Q4_K_S, Q4_K_M, IQ4_XS -> GgmlType.Q5_K;
                default -> base;
            } : switch (this) {
                case Q2_K -> GgmlType.Q3_K;
                case Q3_K_M -> GgmlType.Q4_K;
                case Q3_K_L -> GgmlType.Q5_K;
                default -> base;
            };
        } else if (name.contains("attn_qkv.weight")) {
            t = switch (this) {
                case Q3_K_M, Q3_K_L -> GgmlType.Q4_K;
                case Q4_K_M -> GgmlType.Q5_K;
                case Q5_K_M -> GgmlType.Q6_K;
                default -> base;
            };
        }
        return fitting(t, cols);
    }

    /** {@code t}, or llama.cpp's fallback where rows of {@code cols} values are not whole blocks of it. */
    private static GgmlType fitting(GgmlType t, int cols) {
        return cols % t.blockSize() == 0 ? t : fallback(t, cols);
    }

    /** llama.cpp's {@code use_more_bits}: the first and last eighth of the layers and every third in between. */
    private static boolean moreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    /** llama.cpp's type for rows that are not whole blocks of {@code t}. */
    private static GgmlType fallback(GgmlType t, int cols) {
        GgmlType f = switch (t) {
            case Q2_K, Q3_K, IQ4_XS -> GgmlType.IQ4_NL;
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            default -> GgmlType.F16;
        };
        return cols % f.blockSize() == 0 ? f : GgmlType.F16;
    }
}
