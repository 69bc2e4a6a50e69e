package dev.vera4j.vera;

import java.util.Locale;
import java.util.Optional;

/**
 * A linear layer of a LLaMA block that VeRA can adapt. The constant names equal the engine's
 * {@code LinearSite.Kind} names, so {@code LinearSite.Kind.valueOf(target.name())} maps one onto the other; each also
 * knows the module name Hugging Face transformers gives it, which PEFT uses in {@code target_modules} and tensor names.
 *
 * <pre>{@code
 * VeraTarget.fromPeftName("gate_proj")   // Optional[GATE]
 * VeraTarget.Q.peftName()                // "q_proj"
 * VeraTarget.Q.peftModulePath(3)         // "model.layers.3.self_attn.q_proj"
 * }</pre>
 */
public enum VeraTarget {
    Q("q_proj", "self_attn"),
    K("k_proj", "self_attn"),
    V("v_proj", "self_attn"),
    O("o_proj", "self_attn"),
    GATE("gate_proj", "mlp"),
    UP("up_proj", "mlp"),
    DOWN("down_proj", "mlp");

    private final String peftName;
    private final String block;

    VeraTarget(String peftName, String block) {
        this.peftName = peftName;
        this.block = block;
    }

    /** The transformers module name, e.g. {@code q_proj}. */
    public String peftName() { return peftName; }

    /** The short name used on the command line and in adapter files, e.g. {@code q}, {@code gate}. */
    public String shortName() { return name().toLowerCase(Locale.ROOT); }

    /** The module path inside a transformers {@code LlamaForCausalLM.model}, e.g. {@code model.layers.3.mlp.up_proj}. */
    public String peftModulePath(int layer) {
        return "model.layers." + layer + "." + block + "." + peftName;
    }

    /** The target whose transformers module name is {@code name} ({@code q_proj} ...), if any. */
    public static Optional<VeraTarget> fromPeftName(String name) {
        for (VeraTarget t : values()) {
            if (t.peftName.equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /**
     * The target named {@code name} in short ({@code q}, {@code gate}) or transformers ({@code q_proj}) form.
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
                + "': expected one of q, k, v, o, gate, up, down (or q_proj ... down_proj)");
    }
}
