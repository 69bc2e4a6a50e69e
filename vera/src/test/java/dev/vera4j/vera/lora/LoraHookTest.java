package dev.vera4j.vera.lora;

import dev.vera4j.engine.model.LinearSite;
import dev.vera4j.engine.model.LowRankUpdate;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.VeraSite;
import dev.vera4j.vera.VeraTarget;
import dev.vera4j.vera.peft.PeftLora;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/** {@link LoraHook} against {@code scale·B·(A·x)} in double precision, fused Phi-3 parts, and PEFT's scale rules. */
class LoraHookTest {
    static final BaseFingerprint PHI3 = new BaseFingerprint("phi3", 2, 16, 24, 4, 2, 4, 10, "00112233445566778899aabbccddeeff");

    static LoraMatrices random(VeraSite site, int rank, int in, int out, float scale, long seed) {
        Random r = new Random(seed);
        float[] a = new float[rank * in], b = new float[out * rank];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
        return new LoraMatrices(site, rank, in, out, a, b, scale);
    }

    /** {@code y + weight·scale·B·(A·x)} for rows {@code [offset, offset + rows)} of B, in double. */
    static double[] reference(LoraMatrices m, float weight, float[] x, int offset, int rows) {
        double[] y = new double[rows];
        for (int o = 0; o < rows; o++) {
            double s = 0;
            for (int i = 0; i < m.rank(); i++) {
                double ax = 0;
                for (int k = 0; k < m.in(); k++) ax += (double) m.a()[i * m.in() + k] * x[k];
                s += (double) m.b()[(offset + o) * m.rank() + i] * ax;
            }
            y[o] = 1 + (double) weight * m.scale() * s;
        }
        return y;
    }

    @Test
    void fusedQkvSplitsIntoItsSitesAndLowRankDescribesTheSameUpdate() {
        int out = PHI3.outputs(VeraTarget.QKV), in = PHI3.inputs(VeraTarget.QKV);
        LoraMatrices qkv = random(new VeraSite(1, VeraTarget.QKV), 3, in, out, 0.75f, 1);
        LoraMatrices down = random(new VeraSite(0, VeraTarget.DOWN), 2, PHI3.inputs(VeraTarget.DOWN), 16, 2f, 2);
        TreeMap<VeraSite, LoraMatrices> sites = new TreeMap<>(Map.of(qkv.site(), qkv, down.site(), down));
        LoraWeights w = LoraWeights.prepare(new LoraFile("phi3", Optional.empty(), sites), PHI3, "t", false);
        LoraHook hook = new LoraHook(w, 4, 0.5f, null);
        float[] x = new float[in];
        Random r = new Random(3);
        for (int k = 0; k < in; k++) x[k] = (float) r.nextGaussian();
        int offset = 0;
        LowRankUpdate u = hook.lowRank();
        for (LinearSite.Kind kind : VeraTarget.QKV.kinds()) {
            int rows = kind == LinearSite.Kind.Q ? 16 : 8;
            float[] y = new float[rows];
            java.util.Arrays.fill(y, 1f);
            LinearSite site = new LinearSite(1, kind);
            hook.addDelta(site, x, 0, y, 0, 1, in, rows);
            double[] expected = reference(qkv, 0.5f, x, offset, rows);
            LowRankUpdate.Term term = u.terms().stream().filter(t -> t.site().equals(site)).findFirst().orElseThrow();
            for (int o = 0; o < rows; o++) {
                assertEquals(expected[o], y[o], 1e-4, kind + " row " + o);
                double viaTerm = 0;   // scale·λ_b ⊙ (B·(λ_d ⊙ (A·x))) from the term's data
                for (int i = 0; i < term.rank(); i++) {
                    double ax = 0;
                    for (int k = 0; k < in; k++) ax += term.a().data()[term.a().offset() + i * term.a().stride() + k] * x[k];
                    viaTerm += term.lambdaB()[o] * term.bt().data()[term.bt().offset() + i * term.bt().stride() + o] * term.lambdaD()[i] * ax;
                }
                assertEquals(expected[o] - 1, term.scale() * viaTerm, 1e-4, "term " + kind + " row " + o);
            }
            offset += rows;
        }
        assertEquals(4, u.terms().size());
        float[] y = new float[16];
        hook.addDelta(new LinearSite(0, LinearSite.Kind.O), new float[16], 0, y, 0, 1, 16, 16);
        assertArrayEquals(new float[16], y, "sites it does not adapt stay untouched");
    }

    @Test
    void rankAndAlphaPatternsAndRsLoraGivePeftsScales(@TempDir Path dir) throws IOException {
        BaseFingerprint llama = new BaseFingerprint("llama", 2, 16, 24, 4, 2, 4, 10, "00112233445566778899aabbccddeeff");
        TreeMap<VeraSite, LoraMatrices> sites = new TreeMap<>();
        sites.put(new VeraSite(0, VeraTarget.Q), random(new VeraSite(0, VeraTarget.Q), 4, 16, 16, 1f, 1));
        sites.put(new VeraSite(1, VeraTarget.Q), random(new VeraSite(1, VeraTarget.Q), 8, 16, 16, 1f, 2));
        sites.put(new VeraSite(1, VeraTarget.V), random(new VeraSite(1, VeraTarget.V), 4, 16, 8, 1f, 3));
        new PeftLora(Map.of("peft_type", "LORA"), sites).write(dir);
        String config = """
                {"peft_type": "LORA", "r": 4, "lora_alpha": 16, "use_rslora": %s,
                 "rank_pattern": {"model.layers.1.self_attn.q_proj": 8}, "alpha_pattern": {"v_proj": 2}}""";
        Files.writeString(dir.resolve("adapter_config.json"), config.formatted("false"));
        PeftLora plain = PeftLora.read(dir);
        assertEquals(16f / 4, plain.sites().get(new VeraSite(0, VeraTarget.Q)).scale());
        assertEquals(16f / 8, plain.sites().get(new VeraSite(1, VeraTarget.Q)).scale());
        assertEquals(2f / 4, plain.sites().get(new VeraSite(1, VeraTarget.V)).scale());
        Files.writeString(dir.resolve("adapter_config.json"), config.formatted("true"));
        PeftLora rs = PeftLora.read(dir);
        assertEquals((float) (16 / Math.sqrt(8)), rs.sites().get(new VeraSite(1, VeraTarget.Q)).scale());
        assertEquals(1f, rs.sites().get(new VeraSite(1, VeraTarget.V)).scale());
        // export keeps each layer's scale through r, lora_alpha and the patterns
        Path back = dir.resolve("back");
        PeftLora.of(rs.toLoraFile(llama), llama).write(back);
        PeftLora again = PeftLora.read(back);
        for (VeraSite s : sites.keySet()) assertEquals(rs.sites().get(s).scale(), again.sites().get(s).scale(), 1e-6f, s.toString());
        Files.writeString(dir.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\", \"r\": 2, \"lora_alpha\": 4}");
        var e = assertThrows(RuntimeException.class, () -> PeftLora.read(dir));
        assertTrue(e.getMessage().contains("has rank 4 but the config says r = 2"), e.getMessage());
    }
}
