package dev.vera4j.engine.model;

/**
 * One linear projection of the transformer: a block's q, k, v, o, gate, up or down matrix, a matrix of one expert or
 * of the shared expert of a mixture-of-experts layer, or the final output projection (layer {@value #OUTPUT_LAYER}).
 * Fused tensors (Phi-3's {@code attn_qkv}, {@code ffn_up} of gate and up rows) are several sites, one per part.
 *
 * <pre>{@code
 * new LinearSite(3, LinearSite.Kind.V)              // blk.3.attn_v.weight
 * new LinearSite(3, LinearSite.Kind.GATE_EXP, 17)   // expert 17's matrix in blk.3.ffn_gate_exps.weight
 * LinearSite.output()                               // output.weight
 * }</pre>
 *
 * @param expert the expert of an expert kind ({@link Kind#expert()}), else {@link #NO_EXPERT}
 */
public record LinearSite(int layer, Kind kind, int expert) {
    /** The layer index of the {@link Kind#OUTPUT} site, which belongs to no block. */
    public static final int OUTPUT_LAYER = -1;
    /** The expert index of sites that are not an expert's. */
    public static final int NO_EXPERT = -1;

    public enum Kind {
        Q("attn_q"), K("attn_k"), V("attn_v"), O("attn_output"), GATE("ffn_gate"), UP("ffn_up"), DOWN("ffn_down"),
        GATE_EXP("ffn_gate_exps"), UP_EXP("ffn_up_exps"), DOWN_EXP("ffn_down_exps"),
        GATE_SHEXP("ffn_gate_shexp"), UP_SHEXP("ffn_up_shexp"), DOWN_SHEXP("ffn_down_shexp"),
        OUTPUT("output");

        private final String tensorPart;

        Kind(String tensorPart) { this.tensorPart = tensorPart; }

        /** The middle of the GGUF tensor name, e.g. {@code attn_q}. */
        public String tensorPart() { return tensorPart; }

        /** Whether sites of this kind belong to one expert (their tensor holds every expert's matrix). */
        public boolean expert() { return this == GATE_EXP || this == UP_EXP || this == DOWN_EXP; }
    }

    public LinearSite {
        if (kind == null) throw new IllegalArgumentException("kind is null");
        if ((kind == Kind.OUTPUT) != (layer == OUTPUT_LAYER)) {
            throw new IllegalArgumentException("site " + kind + " cannot be in layer " + layer);
        }
        if (layer < OUTPUT_LAYER) throw new IllegalArgumentException("negative layer " + layer);
        if (kind.expert() ? expert < 0 : expert != NO_EXPERT) throw new IllegalArgumentException("site " + kind + " with expert " + expert);
    }

    /** A site that is not an expert's. */
    public LinearSite(int layer, Kind kind) { this(layer, kind, NO_EXPERT); }

    /** The final projection to the vocabulary. */
    public static LinearSite output() { return new LinearSite(OUTPUT_LAYER, Kind.OUTPUT); }

    /** The GGUF name of the weight, e.g. {@code blk.3.attn_v.weight} (for an expert, the tensor of all experts). */
    public String tensorName() {
        return kind == Kind.OUTPUT ? "output.weight" : "blk." + layer + "." + kind.tensorPart() + ".weight";
    }

    @Override
    public String toString() {
        if (kind == Kind.OUTPUT) return "output";
        return layer + "." + kind.name().toLowerCase() + (kind.expert() ? "." + expert : "");
    }
}
