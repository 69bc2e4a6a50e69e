package dev.vera4j.vera;

import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/** Random adapters for tests. */
public final class TestAdapters {
    private TestAdapters() {}

    /** The targets of a dense model with separate q/k/v and gate/up tensors. */
    public static final EnumSet<VeraTarget> DENSE = EnumSet.range(VeraTarget.Q, VeraTarget.DOWN);

    /** A small llama-shaped base: 2 layers, dim 16, ffn 24, 4 heads / 2 kv heads of 4. */
    static BaseFingerprint tinyBase(String architecture) {
        return new BaseFingerprint(architecture, 2, 16, 24, 4, 2, 4, 10, "00112233445566778899aabbccddeeff");
    }

    /** A small mixture-of-experts base: as {@link #tinyBase}, with 3 experts of 8 (and for qwen2moe a shared expert of 12). */
    static BaseFingerprint tinyMoeBase(String architecture) {
        return new BaseFingerprint(architecture, 2, 16, 24, 4, 2, 4, 10, 3, 8, architecture.equals("qwen2moe") ? 12 : 0,
                "00112233445566778899aabbccddeeff");
    }

    /** An adapter over {@code targets} of every layer of {@code base}, with λ's drawn from {@code seed}. */
    static AdapterFile random(BaseFingerprint base, Set<VeraTarget> targets, int rank, long seed) {
        VeraConfig config = new VeraConfig(seed, rank, 0.1f, EnumSet.copyOf(targets), List.of(), true);
        Random r = new Random(seed);
        TreeMap<VeraSite, VeraLambdas> lambdas = new TreeMap<>();
        for (int l = 0; l < base.blockCount(); l++) {
            for (VeraTarget t : targets) {
                for (int e = 0; e < base.sitesPerLayer(t); e++) {
                    float[] b = new float[base.outputs(t)], d = new float[rank];
                    for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
                    for (int i = 0; i < d.length; i++) d[i] = 0.1f + r.nextFloat();
                    lambdas.put(new VeraSite(l, t, t.expert() ? e : -1), new VeraLambdas(b, d));
                }
            }
        }
        int[] dims = base.projectionDims(targets);
        return new AdapterFile(config, dims[0], dims[1], base, lambdas, Optional.empty(), Optional.empty());
    }

    static float[] randomFloats(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }
}
