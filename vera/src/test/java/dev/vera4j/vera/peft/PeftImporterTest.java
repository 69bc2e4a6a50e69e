package dev.vera4j.vera.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vera4j.engine.json.Json;
import dev.vera4j.vera.Projections;
import dev.vera4j.vera.VeraConfig;
import dev.vera4j.vera.VeraLambdas;
import dev.vera4j.vera.VeraSite;
import dev.vera4j.vera.VeraTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against adapters written by make_tiny_adapters.py in PEFT's exact on-disk layout. */
class PeftImporterTest {

    static Path resource(String name) throws Exception {
        return Path.of(PeftImporterTest.class.getResource(name).toURI());
    }

    /** expected-values.txt: tensor name, then its values as float32 bit patterns. */
    static Map<String, float[]> expected(Path dir) throws Exception {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (String line : Files.readAllLines(dir.resolve("expected-values.txt"))) {
            String[] parts = line.split(" ");
            float[] v = new float[parts.length - 1];
            for (int i = 0; i < v.length; i++) {
                v[i] = Float.intBitsToFloat(Integer.parseUnsignedInt(parts[i + 1], 16));
            }
            out.put(parts[0], v);
        }
        return out;
    }

    static void assertBits(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]), what + "[" + i + "]");
        }
    }

    @Test
    void readsAnAdapterSavedWithProjections() throws Exception {
        Path dir = resource("tiny-vera-saved");
        PeftVeraAdapter adapter = PeftImporter.read(dir);
        assertEquals(4, adapter.config().rank());
        assertTrue(adapter.config().saveProjection());
        assertEquals(EnumSet.of(VeraTarget.Q, VeraTarget.V, VeraTarget.DOWN), adapter.targets());
        assertEquals(List.of(0, 1), List.copyOf(adapter.layers()));
        assertEquals(6, adapter.lambdas().size());
        Map<String, float[]> expected = expected(dir);
        for (Map.Entry<VeraSite, VeraLambdas> e : adapter.lambdas().entrySet()) {
            assertBits(expected.get(PeftTensorNames.lambdaB(e.getKey())), e.getValue().lambdaB(), e.getKey() + " λ_b");
            assertBits(expected.get(PeftTensorNames.lambdaD(e.getKey())), e.getValue().lambdaD(), e.getKey() + " λ_d");
        }
        assertEquals(4, adapter.lambdas().get(new VeraSite(1, VeraTarget.V)).out());
        assertEquals(8, adapter.lambdas().get(new VeraSite(0, VeraTarget.DOWN)).out());
        Projections p = adapter.projections().orElseThrow();
        assertEquals(12, p.inMax());
        assertEquals(8, p.outMax());
        assertBits(expected.get("base_model.vera_A"), p.a(), "vera_A");
        assertBits(expected.get("base_model.vera_B"), p.b(), "vera_B");
        assertEquals(PeftVeraAdapter.Storage.PEFT, adapter.storage());

        VeraConfig cfg = adapter.toVeraConfig(true);
        assertEquals(0, cfg.seed());
        assertEquals(0.1f, cfg.dInitial());
        assertTrue(cfg.adapts(5, VeraTarget.DOWN));
        assertFalse(cfg.adapts(0, VeraTarget.K));
    }

    @Test
    void readsASeededBf16AdapterWithRegexTargetsAndLayerSelection() throws Exception {
        Path dir = resource("tiny-vera-seeded");
        PeftVeraAdapter adapter = PeftImporter.read(dir);
        assertTrue(adapter.projections().isEmpty());
        assertEquals(SafetensorsDtype.BF16, adapter.storage().lambdaDtype());
        assertEquals(EnumSet.of(VeraTarget.Q, VeraTarget.K), adapter.targets());
        Map<String, float[]> expected = expected(dir);
        for (Map.Entry<VeraSite, VeraLambdas> e : adapter.lambdas().entrySet()) {
            assertBits(expected.get(PeftTensorNames.lambdaB(e.getKey())), e.getValue().lambdaB(), e.getKey() + " λ_b");
            assertBits(expected.get(PeftTensorNames.lambdaD(e.getKey())), e.getValue().lambdaD(), e.getKey() + " λ_d");
        }
        VeraConfig cfg = adapter.toVeraConfig(false);
        assertEquals(12345, cfg.seed());
        assertEquals(0.05f, cfg.dInitial());
        assertEquals(List.of(1), cfg.layers());
        assertTrue(cfg.adapts(1, VeraTarget.K));
        assertFalse(cfg.adapts(0, VeraTarget.Q));
        assertEquals("tïny-llama", adapter.config().json().get("base_model_name_or_path"));
        assertEquals(Projections.generate(12345, 4, 8, 4, Projections.Rounding.UNFUSED),
                adapter.projectionsFor(8, 4, false));
    }

    @Test
    void storedProjectionsServeSmallerModelsOnly() throws Exception {
        PeftVeraAdapter adapter = PeftImporter.read(resource("tiny-vera-saved"));
        assertEquals(adapter.projections().orElseThrow(), adapter.projectionsFor(12, 8, true));
        assertThrows(IllegalArgumentException.class, () -> adapter.projectionsFor(16, 8, true));
    }

    @Test
    void exportReproducesPeftsBytes(@TempDir Path tmp) throws Exception {
        for (String name : List.of("tiny-vera-saved", "tiny-vera-seeded")) {
            Path src = resource(name);
            Path out = tmp.resolve(name);
            PeftExporter.write(PeftImporter.read(src), out);
            for (String file : List.of(PeftImporter.CONFIG_FILE, PeftImporter.WEIGHTS_FILE)) {
                assertArrayEquals(Files.readAllBytes(src.resolve(file)), Files.readAllBytes(out.resolve(file)),
                        name + "/" + file);
            }
        }
    }

    @Test
    void importExportImportIsBitIdentical(@TempDir Path tmp) throws Exception {
        for (String name : List.of("tiny-vera-saved", "tiny-vera-seeded")) {
            PeftVeraAdapter first = PeftImporter.read(resource(name));
            PeftExporter.write(first, tmp.resolve(name + "-1"));
            PeftVeraAdapter second = PeftImporter.read(tmp.resolve(name + "-1"));
            assertEquals(first, second, name);
            PeftExporter.write(second, tmp.resolve(name + "-2"));
            for (String file : List.of(PeftImporter.CONFIG_FILE, PeftImporter.WEIGHTS_FILE)) {
                assertArrayEquals(Files.readAllBytes(tmp.resolve(name + "-1").resolve(file)),
                        Files.readAllBytes(tmp.resolve(name + "-2").resolve(file)), name + "/" + file);
            }
        }
    }

    @Test
    void generatedConfigRoundTrips(@TempDir Path tmp) throws Exception {
        VeraConfig cfg = new VeraConfig(42, 8, 0.1f, EnumSet.of(VeraTarget.GATE, VeraTarget.Q), List.of(2, 0), true);
        PeftVeraConfig peft = PeftVeraConfig.of(cfg, "stories260K", false);
        Path file = tmp.resolve("adapter_config.json");
        Files.writeString(file, PeftExporter.pythonJsonDumps(peft.json()));
        PeftVeraConfig back = PeftImporter.readConfig(file);
        assertEquals(peft, back);
        assertEquals(List.of("gate_proj", "q_proj"), back.targetModules());
        assertEquals(cfg, back.toVeraConfig(EnumSet.of(VeraTarget.Q, VeraTarget.GATE), true));
        assertTrue(Files.readString(file).startsWith("{\n  \"auto_mapping\": null,\n  \"base_model_name_or_path\""));
    }

    @Test
    void engineCreatedAdapterExportsAndReimports(@TempDir Path tmp) throws Exception {
        VeraConfig cfg = new VeraConfig(7, 4, 0.1f, EnumSet.of(VeraTarget.Q, VeraTarget.UP), List.of(), true);
        TreeMap<VeraSite, VeraLambdas> lambdas = new TreeMap<>();
        for (int layer = 0; layer < 2; layer++) {
            lambdas.put(new VeraSite(layer, VeraTarget.Q), VeraLambdas.initial(8, 4, cfg.dInitial()));
            VeraLambdas up = VeraLambdas.initial(12, 4, cfg.dInitial());
            up.lambdaB()[layer] = -1.25f;
            lambdas.put(new VeraSite(layer, VeraTarget.UP), up);
        }
        PeftVeraAdapter adapter = new PeftVeraAdapter(PeftVeraConfig.of(cfg, "stories260K", true), lambdas,
                Optional.of(Projections.generate(cfg, 8, 12)), PeftVeraAdapter.Storage.PEFT);
        PeftExporter.write(adapter, tmp);
        PeftVeraAdapter back = PeftImporter.read(tmp);
        assertEquals(adapter, back);
        assertEquals(cfg, back.toVeraConfig(true));
        assertTrue(Files.readString(tmp.resolve(PeftImporter.CONFIG_FILE)).contains("\"d_initial\": 0.1,"));
    }

    // ---- invalid adapters -------------------------------------------------------------------------------------

    static Map<String, Object> config(Object... overrides) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("peft_type", "VERA");
        m.put("r", 2L);
        m.put("projection_prng_key", 0L);
        m.put("save_projection", false);
        m.put("target_modules", List.of("q_proj"));
        for (int i = 0; i < overrides.length; i += 2) {
            m.put((String) overrides[i], overrides[i + 1]);
        }
        return m;
    }

    static SafetensorsWriter qLayer0() {
        return new SafetensorsWriter().metadata("format", "pt")
                .addFloats("base_model.model.model.layers.0.self_attn.q_proj.vera_lambda_b", SafetensorsDtype.F32,
                        new long[] {3}, new float[] {1, 2, 3})
                .addFloats("base_model.model.model.layers.0.self_attn.q_proj.vera_lambda_d", SafetensorsDtype.F32,
                        new long[] {2}, new float[] {0.1f, 0.1f});
    }

    static String failure(Path dir, Map<String, Object> config, SafetensorsWriter tensors) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(PeftImporter.CONFIG_FILE), Json.writePretty(config));
        tensors.write(dir.resolve(PeftImporter.WEIGHTS_FILE));
        return assertThrows(PeftAdapterException.class, () -> PeftImporter.read(dir)).getMessage();
    }

    @Test
    void minimalValidAdapterLoads(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve(PeftImporter.CONFIG_FILE), Json.writePretty(config()));
        qLayer0().write(tmp.resolve(PeftImporter.WEIGHTS_FILE));
        PeftVeraAdapter a = PeftImporter.read(tmp);
        assertArrayEquals(new float[] {1, 2, 3}, a.lambdas().get(new VeraSite(0, VeraTarget.Q)).lambdaB());
    }

    @Test
    void rejectsMissingFiles(@TempDir Path tmp) throws Exception {
        assertTrue(assertThrows(PeftAdapterException.class, () -> PeftImporter.read(tmp.resolve("nope")))
                .getMessage().contains("not a directory"));
        assertTrue(assertThrows(PeftAdapterException.class, () -> PeftImporter.read(tmp))
                .getMessage().contains("no adapter_config.json"));
        Files.writeString(tmp.resolve(PeftImporter.CONFIG_FILE), Json.writePretty(config()));
        Files.write(tmp.resolve("adapter_model.bin"), new byte[] {1});
        assertTrue(assertThrows(PeftAdapterException.class, () -> PeftImporter.read(tmp))
                .getMessage().contains("safe_serialization"));
    }

    @Test
    void rejectsInvalidConfigs(@TempDir Path tmp) throws Exception {
        assertTrue(failure(tmp.resolve("a"), config("peft_type", "LORA"), qLayer0()).contains("not a VeRA adapter"));
        assertTrue(failure(tmp.resolve("b"), config("r", 0L), qLayer0()).contains("r = 0 is out of range"));
        assertTrue(failure(tmp.resolve("c"), config("r", "4"), qLayer0()).contains("r must be an integer"));
        assertTrue(failure(tmp.resolve("d"), config("fan_in_fan_out", true), qLayer0()).contains("fan_in_fan_out"));
        assertTrue(failure(tmp.resolve("e"), config("target_modules", "(q_proj"), qLayer0()).contains("regex"));
        assertTrue(failure(tmp.resolve("f"), config("layers_to_transform", List.of(-1L)), qLayer0())
                .contains("invalid layer index"));
        Path g = tmp.resolve("g");
        Files.createDirectories(g);
        Files.writeString(g.resolve(PeftImporter.CONFIG_FILE), "{\"peft_type\": ");
        qLayer0().write(g.resolve(PeftImporter.WEIGHTS_FILE));
        assertTrue(assertThrows(PeftAdapterException.class, () -> PeftImporter.read(g)).getMessage().contains("invalid JSON"));
    }

    @Test
    void rejectsTensorsThatDoNotFitTheConfig(@TempDir Path tmp) throws Exception {
        assertTrue(failure(tmp.resolve("a"), config("target_modules", List.of("v_proj")), qLayer0())
                .contains("target_modules does not select"));
        assertTrue(failure(tmp.resolve("b"), config("layers_to_transform", List.of(1L)), qLayer0())
                .contains("layers_to_transform [1] excludes"));
        assertTrue(failure(tmp.resolve("c"), config("r", 3L), qLayer0()).contains("vera_lambda_d has 2 elements but r = 3"));
        assertTrue(failure(tmp.resolve("d"), config("save_projection", true), qLayer0())
                .contains("vera_A/vera_B are missing"));
        String lora = failure(tmp.resolve("e"), config(), qLayer0().addFloats(
                "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", SafetensorsDtype.F32, new long[] {1}, new float[1]));
        assertTrue(lora.contains("unexpected tensor"), lora);
        String wrongBlock = failure(tmp.resolve("f"), config(), qLayer0().addFloats(
                "base_model.model.model.layers.0.mlp.q_proj.vera_lambda_b", SafetensorsDtype.F32, new long[] {1}, new float[1]));
        assertTrue(wrongBlock.contains("unexpected tensor"), wrongBlock);
        String missingD = failure(tmp.resolve("g"), config(), new SafetensorsWriter().addFloats(
                "base_model.model.model.layers.0.self_attn.q_proj.vera_lambda_b", SafetensorsDtype.F32, new long[] {1}, new float[1]));
        assertTrue(missingD.contains("q_proj.vera_lambda_d' is missing"), missingD);
        String mixed = failure(tmp.resolve("h"), config("target_modules", List.of("q_proj", "k_proj")), qLayer0()
                .addFloats("base_model.model.model.layers.0.self_attn.k_proj.vera_lambda_b", SafetensorsDtype.BF16, new long[] {1}, new float[1])
                .addFloats("base_model.model.model.layers.0.self_attn.k_proj.vera_lambda_d", SafetensorsDtype.BF16, new long[] {2}, new float[2]));
        assertTrue(mixed.contains("mix dtypes"), mixed);
        String matrix = failure(tmp.resolve("i"), config(), new SafetensorsWriter().addFloats(
                "base_model.model.model.layers.0.self_attn.q_proj.vera_lambda_b", SafetensorsDtype.F32, new long[] {1, 1}, new float[1]));
        assertTrue(matrix.contains("expected a non-empty vector"), matrix);
    }

    @Test
    void rejectsBadProjections(@TempDir Path tmp) throws Exception {
        Map<String, Object> saved = config("save_projection", true);
        String onlyA = failure(tmp.resolve("a"), saved, qLayer0()
                .addFloats("base_model.vera_A", SafetensorsDtype.F32, new long[] {2, 3}, new float[6]));
        assertTrue(onlyA.contains("only one of vera_A and vera_B"), onlyA);
        String shape = failure(tmp.resolve("b"), saved, qLayer0()
                .addFloats("base_model.vera_A", SafetensorsDtype.F32, new long[] {3, 2}, new float[6])
                .addFloats("base_model.vera_B", SafetensorsDtype.F32, new long[] {3, 2}, new float[6]));
        assertTrue(shape.contains("vera_A has shape [3, 2], expected [r=2, in_max]"), shape);
        String shortB = failure(tmp.resolve("c"), saved, qLayer0()
                .addFloats("base_model.vera_A", SafetensorsDtype.F32, new long[] {2, 3}, new float[6])
                .addFloats("base_model.vera_B", SafetensorsDtype.F32, new long[] {2, 2}, new float[4]));
        assertTrue(shortB.contains("vera_B only 2 rows"), shortB);
        String unwanted = failure(tmp.resolve("d"), config(), qLayer0()
                .addFloats("base_model.vera_A", SafetensorsDtype.F32, new long[] {2, 3}, new float[6])
                .addFloats("base_model.vera_B", SafetensorsDtype.F32, new long[] {3, 2}, new float[6]));
        assertTrue(unwanted.contains("save_projection is false but vera_A/vera_B are present"), unwanted);
    }

    @Test
    void corruptTensorFileIsAFormatError(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve(PeftImporter.CONFIG_FILE), Json.writePretty(config()));
        Files.write(tmp.resolve(PeftImporter.WEIGHTS_FILE), new byte[] {1, 2, 3});
        String m = assertThrows(SafetensorsFormatException.class, () -> PeftImporter.read(tmp)).getMessage();
        assertTrue(m.contains("adapter_model.safetensors") && m.contains("too short"), m);
    }
}
