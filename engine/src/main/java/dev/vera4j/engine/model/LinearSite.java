package dev.vera4j.engine.model;

/**
 * One linear projection of the transformer: a block's q, k, v, o, gate, up or down matrix, or the final output
 * projection (layer {@value #OUTPUT_LAYER}).
 *
 * <pre>{@code
 * new LinearSite(3, LinearSite.Kind.V)   // blk.3.attn_v.weight
 * LinearSite.output()                    // output.weight
 * }</pre>
 */
public record LinearSite(int layer, Kind kind) {
    /** The layer index of the {@link Kind#OUTPUT} site, which belongs to no block. */
    public static final int OUTPUT_LAYER = -1;

    public enum Kind {
        Q("attn_q"), K("attn_k"), V("attn_v"), O("attn_output"), GATE("ffn_gate"), UP("ffn_up"), DOWN("ffn_down"), OUTPUT("output");

        private final String tensorPart;

        Kind(String tensorPart) { this.tensorPart = tensorPart; }

        /** The middle of the GGUF tensor name, e.g. {@code attn_q}. */
        public String tensorPart() { return tensorPart; }
    }

    public LinearSite {
        if (kind == null) throw new IllegalArgumentException("kind is null");
        if ((kind == Kind.OUTPUT) != (layer == OUTPUT_LAYER)) {
            throw new IllegalArgumentException("site " + kind + " cannot be in layer " + layer);
        }
        if (layer < OUTPUT_LAYER) throw new IllegalArgumentException("negative layer " + layer);
    }

    /** The final projection to the vocabulary. */
    public static LinearSite output() { return new LinearSite(OUTPUT_LAYER, Kind.OUTPUT); }

    /** The GGUF name of the weight, e.g. {@code blk.3.attn_v.weight}. */
    public String tensorName() {
        return kind == Kind.OUTPUT ? "output.weight" : "blk." + layer + "." + kind.tensorPart() + ".weight";
    }

    @Override
    public String toString() { return kind == Kind.OUTPUT ? "output" : layer + "." + kind.name().toLowerCase(); }
}
