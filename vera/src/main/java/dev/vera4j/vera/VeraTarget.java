package dev.vera4j.vera;

import dev.vera4j.engine.model.LinearSite;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A linear layer of a block that VeRA can adapt, as Hugging Face transformers names its module (which PEFT uses in
 * {@code target_modules} and tensor names). Most are one engine {@link LinearSite.Kind} of the same name; Phi-3's fused
 * modules cover several ({@link #QKV}: the q, k and v sites, whose rows it holds in that order; {@link #GATE_UP}: gate,
 * then up), and the expert targets are one per expert.
 *
 * <p>PEFT module paths: {@code model.layers.L.self_attn.q_proj} ... {@code qkv_proj}, {@code mlp.gate_proj} ...
 * {@code gate_up_proj}; one expert's {@code mlp.experts.E.gate_proj} (Qwen2-MoE, Qwen3-MoE: {@link #GATE_EXP} ...) or
 * {@code block_sparse_moe.experts.E.w1} (Mixtral: {@link #W1} gate, {@link #W3} up, {@link #W2} down); the shared
 * expert's {@code mlp.shared_expert.gate_proj} (Qwen2-MoE). Routers ({@code mlp.gate}, {@code block_sparse_moe.gate})
 * and the shared expert's gate are not adapted.
 *
 * <pre>{@code
 * VeraTarget.fromPeftName("gate_proj")           // Optional[GATE]
 * VeraTarget.Q.peftModulePath(3)                 // "model.layers.3.self_attn.q_proj"
 * VeraTarget.W1.peftModulePath(3, 7)            // "model.layers.3.block_sparse_moe.experts.7.w1"
 * VeraTarget.QKV.kinds()                         // [Q, K, V]
 * }</pre>
 */
public enum VeraTarget {
    Q("q_proj", "self_attn"),
    K("k_proj", "self_attn"),
    V("v_proj", "self_attn"),
    O("o_proj", "self_attn"),
    GATE("gate_proj", "mlp"),
    UP("up_proj", "mlp"),
    DOWN("down_proj", "mlp"),
    /** Phi-3's fused q, k and v projection. */
    QKV("qkv_proj", "self_attn"),
    /** Phi-3's fused gate and up projection. */
    GATE_UP("gate_up_proj", "mlp"),
    GATE_EXP("gate_proj", "mlp.experts"),
    UP_EXP("up_proj", "mlp.experts"),
    DOWN_EXP("down_proj", "mlp.experts"),
    GATE_SHEXP("gate_proj", "mlp.shared_expert"),
    UP_SHEXP("up_proj", "mlp.shared_expert"),
    DOWN_SHEXP("down_proj", "mlp.shared_expert"),
    /** Mixtral's expert gate projection. */
    W1("w1", "block_sparse_moe.experts"),
    /** Mixtral's expert up projection. */
    W3("w3", "block_sparse_moe.experts"),
    /** Mixtral's expert down projection. */
    W2("w2", "block_sparse_moe.experts");

    private final String peftName;
    private final String block;

    VeraTarget(String peftName, String block) {
        this.peftName = peftName;
        this.block = block;
    }

    /** The transformers module name, e.g. {@code q_proj}, {@code w1}. */
    public String peftName() { return peftName; }

    /** The short name used on the command line and in adapter files, e.g. {@code q}, {@code gate}, {@code gate_exp}. */
    public String shortName() { return name().toLowerCase(Locale.ROOT); }

    /** The middle of its λ tensors' names in adapter files, e.g. {@code attn_q}, {@code attn_qkv}, {@code ffn_gate_exps}. */
    public String tensorPart() {
        return switch (this) {
            case QKV -> "attn_qkv";
            case GATE_UP -> "ffn_gate_up";
            default -> kinds().getFirst().tensorPart();
        };
    }

    /** The middle of the model tensor's name whose rows the target is, e.g. {@code attn_q}, Phi-3's {@code ffn_up} for {@link #GATE_UP}. */
    public String modelTensorPart() {
        return switch (this) {
            case QKV -> "attn_qkv";
            case GATE_UP -> "ffn_up";
            default -> kinds().getFirst().tensorPart();
        };
    }

    /** Whether the target is one per expert (its sites carry an expert index). */
    public boolean expert() { return block.endsWith("experts"); }

    /** The engine sites the target's rows are, in row order. */
    public List<LinearSite.Kind> kinds() {
        return switch (this) {
            case QKV -> List.of(LinearSite.Kind.Q, LinearSite.Kind.K, LinearSite.Kind.V);
            case GATE_UP -> List.of(LinearSite.Kind.GATE, LinearSite.Kind.UP);
            case W1 -> List.of(LinearSite.Kind.GATE_EXP);
            case W3 -> List.of(LinearSite.Kind.UP_EXP);
            case W2 -> List.of(LinearSite.Kind.DOWN_EXP);
            default -> List.of(LinearSite.Kind.valueOf(name()));
        };
    }

    /** The module path of a target that is not an expert's, e.g. {@code model.layers.3.mlp.up_proj}. */
    public String peftModulePath(int layer) {
        if (expert()) throw new IllegalArgumentException(this + " is one per expert");
        return "model.layers." + layer + "." + block + "." + peftName;
    }

    /** The module path of the target in block {@code layer} (and expert {@code expert} of an expert target). */
    public String peftModulePath(int layer, int expert) {
        if (!expert()) return peftModulePath(layer);
        return "model.layers." + layer + "." + block + "." + expert + "." + peftName;
    }

    /** The module path of {@code site}. */
    public static String peftModulePath(VeraSite site) { return site.target().peftModulePath(site.layer(), site.expert()); }

    /** The target whose module in block {@code block} ({@code self_attn}, {@code mlp.experts} ...) is named {@code name}. */
    public static Optional<VeraTarget> fromPeftPath(String block, String name) {
        for (VeraTarget t : values()) {
            if (t.block.equals(block) && t.peftName.equals(name)) return Optional.of(t);
        }
        return Optional.empty();
    }

    /**
     * The target whose transformers module name is {@code name} ({@code q_proj} ...) among those that are not inside
     * an expert, if any.
     */
    public static Optional<VeraTarget> fromPeftName(String name) {
        for (VeraTarget t : values()) {
            if (t.peftName.equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /**
     * The target named {@code name} in short ({@code q}, {@code gate_exp}) or transformers ({@code q_proj}) form.
     *
     * @throws IllegalArgumentException naming the accepted names when {@code name} is none of them
     */
    public static VeraTarget parse(String name) {
        for (VeraTarget t : values()) {
            if (t.shortName().equals(name) || t.peftName.equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown VeRA target '" + name
                + "': expected one of q, k, v, o, gate, up, down, qkv, gate_up (Phi-3), gate_exp, up_exp, down_exp (experts), "
                + "gate_shexp, up_shexp, down_shexp (a shared expert), w1, w3, w2 (Mixtral's experts), or q_proj ... down_proj, "
                + "qkv_proj, gate_up_proj");
    }
}
