package dev.vera4j.vera.peft;

import dev.vera4j.vera.VeraSite;
import dev.vera4j.vera.VeraTarget;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tensor names of a saved PEFT VeRA adapter for a transformers causal LM: the state-dict keys with the adapter name
 * removed, e.g. {@code base_model.model.model.layers.3.self_attn.q_proj.vera_lambda_b},
 * {@code base_model.model.model.layers.3.mlp.experts.7.down_proj.vera_lambda_d}.
 */
final class PeftTensorNames {
    static final String VERA_A = "base_model.vera_A";
    static final String VERA_B = "base_model.vera_B";
    private static final String PREFIX = "base_model.model.";
    private static final Pattern LAMBDA = Pattern.compile("base_model\\.model\\.model\\.layers\\.(0|[1-9][0-9]{0,8})\\."
            + "(self_attn|mlp|mlp\\.shared_expert|(?:mlp|block_sparse_moe)\\.experts)(?:\\.(0|[1-9][0-9]{0,8}))?\\."
            + "([a-z0-9_]+)\\.vera_lambda_([bd])");

    private PeftTensorNames() {}

    /** A parsed λ tensor name. */
    record Lambda(VeraSite site, boolean isB) {}

    static String lambdaB(VeraSite site) {
        return PREFIX + VeraTarget.peftModulePath(site) + ".vera_lambda_b";
    }

    static String lambdaD(VeraSite site) {
        return PREFIX + VeraTarget.peftModulePath(site) + ".vera_lambda_d";
    }

    /** The site and vector a λ tensor name denotes, or empty if {@code name} is not one this engine knows. */
    static Optional<Lambda> parseLambda(String name) {
        Matcher m = LAMBDA.matcher(name);
        if (!m.matches()) {
            return Optional.empty();
        }
        Optional<VeraTarget> target = VeraTarget.fromPeftPath(m.group(2), m.group(4));
        if (target.isEmpty() || target.get().expert() != (m.group(3) != null)) {
            return Optional.empty();   // e.g. q_proj under mlp, or an expert without its index
        }
        VeraSite site = new VeraSite(Integer.parseInt(m.group(1)), target.get(), m.group(3) == null ? -1 : Integer.parseInt(m.group(3)));
        return Optional.of(new Lambda(site, m.group(5).equals("b")));
    }
}
