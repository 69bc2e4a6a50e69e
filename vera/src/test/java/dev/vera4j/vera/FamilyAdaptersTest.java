package dev.vera4j.vera;

import dev.vera4j.engine.backend.Batch;
import dev.vera4j.engine.backend.Sequence;
import dev.vera4j.engine.backend.cpu.CpuBackend;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.ModelWeights;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.vera.merge.Merger;
import dev.vera4j.vera.peft.PeftExporter;
import dev.vera4j.vera.peft.PeftImporter;
import dev.vera4j.vera.peft.PeftVeraAdapter;
import dev.vera4j.vera.peft.PeftVeraConfig;
import dev.vera4j.vera.peft.Safetensors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A VeRA adapter on every module of each family's tiny model ({@code TinyModels}: Phi-3's fused {@code qkv_proj} and
 * {@code gate_up_proj}, every expert of Mixtral ({@code w1/w3/w2}) and Qwen-MoE, Qwen2-MoE's shared expert):
 *
 * <ul>
 *   <li>the hook, which applies a fused module's update part by part (q, k and v rows of B and λ_b, one λ_d), gives the
 *       logits of the model merged with the whole module's {@code ΔW = diag(λ_b)·B·diag(λ_d)·A} as PEFT's
 *       {@code get_delta_weight} makes it, and an expert's update on the rows of that expert's slice of the 3-D
 *       tensor;</li>
 *   <li>the PEFT files it exports name the modules as transformers does, {@code target_modules} selects exactly them,
 *       and importing them gives the same adapter back.</li>
 * </ul>
 */
class FamilyAdaptersTest {
    static final int[] PROMPT = {5, 17, 33, 2, 60, 41, 8, 19, 27};

    static float[] logits(CpuBackend b, VeraAdapter hook) {
        Sequence s = new Sequence(b.newCache(KvType.F32, 32));
        if (hook != null) s.addHook(hook);
        float[] out = new float[PROMPT.length * b.config().vocabSize()];
        b.step(b.newActivations(PROMPT.length, 32, false), Batch.of(s, PROMPT, 0, PROMPT.length, true), out);
        return out;
    }

    @ParameterizedTest
    @FieldSource("dev.vera4j.vera.TinyBase#FAMILIES")
    void hookEqualsMergedModelAndPeftRoundTrips(String name, @TempDir Path dir) throws Exception {
        try (TinyBase tiny = TinyBase.open(name, dir)) {
            GgufFile f = tiny.file();
            WorkerPool pool = tiny.pool();
            ModelConfig c = tiny.config();
            BaseFingerprint fp = tiny.fingerprint();
            EnumSet<VeraTarget> targets = fp.targets();
            AdapterFile adapter = TestAdapters.random(fp, targets, 8, 31);
            // small λ_b: a clear change that leaves the tokens' expert choices as they are (a near tie could flip)
            adapter = scaled(adapter, 0.05f);
            AdapterWeights w = AdapterWeights.prepare(adapter, fp, name, false);
            CpuBackend base = tiny.backend();
            float[] plain = logits(base, null), hooked = logits(base, new VeraAdapter(w, PROMPT.length, 1f, pool));
            Path merged = dir.resolve("merged.gguf");
            new Merger(pool).merge(f, w, 1f, GgmlType.F32, merged);
            try (GgufFile m = GgufFile.open(merged)) {
                float[] mergedLogits = logits(new CpuBackend(c, ModelWeights.of(m, c), pool), null);
                float worst = 0, changed = 0;
                for (int i = 0; i < hooked.length; i++) {
                    worst = Math.max(worst, Math.abs(hooked[i] - mergedLogits[i]));
                    changed = Math.max(changed, Math.abs(hooked[i] - plain[i]));
                }
                assertTrue(worst <= 1e-4f, name + ": hook vs merged model " + worst);
                assertTrue(changed > 0.05f, name + ": the adapter barely changes the logits: " + changed);
            }
            // PEFT: export, names as transformers has them, target_modules selecting exactly them, import back
            Path peft = dir.resolve("peft");
            PeftVeraAdapter exported = PeftAdapters.toPeft(adapter, true);
            PeftExporter.write(exported, peft);
            Set<String> names = new TreeSet<>();
            try (Safetensors st = Safetensors.open(peft.resolve(PeftImporter.WEIGHTS_FILE))) {
                names.addAll(st.tensors().keySet());
            }
            String prefix = "base_model.model.model.layers.1.";
            String expected = switch (c.architecture()) {
                case "phi3" -> prefix + "self_attn.qkv_proj.vera_lambda_b";
                case "llama" -> prefix + "block_sparse_moe.experts.3.w2.vera_lambda_d";
                case "qwen2moe" -> prefix + "mlp.shared_expert.up_proj.vera_lambda_b";
                case "qwen3moe" -> prefix + "mlp.experts.7.gate_proj.vera_lambda_b";
                default -> prefix + "mlp.down_proj.vera_lambda_b";
            };
            assertTrue(names.contains(expected), name + ": no " + expected + " in " + names);
            PeftVeraConfig config = exported.config();
            for (VeraSite s : adapter.lambdas().keySet()) assertTrue(config.targetsModule(VeraTarget.peftModulePath(s)), s.toString());
            assertFalse(config.targetsModule("model.layers.0.mlp.gate"), "the router is not adapted");
            AdapterFile back = PeftAdapters.fromPeft(PeftImporter.read(peft), fp);
            assertEquals(adapter.lambdas(), back.lambdas());
            assertEquals(adapter.config().targets(), back.config().targets());
        }
    }

    /** {@code a} with every λ_b multiplied by {@code f}. */
    static AdapterFile scaled(AdapterFile a, float f) {
        var lambdas = new java.util.TreeMap<VeraSite, VeraLambdas>();
        a.lambdas().forEach((k, v) -> {
            float[] b = v.lambdaB().clone();
            for (int i = 0; i < b.length; i++) b[i] *= f;
            lambdas.put(k, new VeraLambdas(b, v.lambdaD()));
        });
        return new AdapterFile(a.config(), a.inMax(), a.outMax(), a.base(), lambdas, a.projections(), a.peft());
    }

    /** Qwen2-MoE adapters on experts only: PEFT's names would also select the shared expert, so the config is a regex. */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-qwen2moe"})
    void expertsOnlyConfigDoesNotSelectTheSharedExpert(String name, @TempDir Path dir) throws Exception {
        try (TinyBase tiny = TinyBase.open(name, dir)) {
            BaseFingerprint fp = tiny.fingerprint();
            AdapterFile adapter = TestAdapters.random(fp, EnumSet.of(VeraTarget.GATE_EXP, VeraTarget.Q), 4, 3);
            PeftVeraConfig config = PeftAdapters.toPeft(adapter, false).config();
            assertInstanceOf(String.class, config.json().get("target_modules"));
            assertTrue(config.targetsModule("model.layers.1.mlp.experts.4.gate_proj"));
            assertTrue(config.targetsModule("model.layers.0.self_attn.q_proj"));
            assertFalse(config.targetsModule("model.layers.1.mlp.shared_expert.gate_proj"));
            assertFalse(config.targetsModule("model.layers.1.mlp.experts.4.up_proj"));
            assertTrue(fp.targets().contains(VeraTarget.GATE_SHEXP));
        }
    }
}
