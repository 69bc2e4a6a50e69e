package dev.vera4j.cuda;

import dev.vera4j.engine.backend.DeviceException;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.engine.model.TinyModels;
import dev.vera4j.gguf.GgufFile;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Which models the GPU takes, decided without a GPU from each family's tiny model: the dense llama family runs; every
 * other family is one line that names its architecture and what the GPU lacks ({@code ForwardGpuTest} checks that
 * {@link DeviceWeights#upload} refuses them before allocating anything).
 */
class GpuModelsTest {
    static final List<String> RUN = List.of("tiny-llama3", "tiny-qwen2", "tiny-qwen3", "tiny-mistral");
    static final List<String> REFUSED = TinyModels.ALL.stream().filter(m -> !RUN.contains(m)).toList();

    @TempDir Path dir;

    private ModelConfig config(String model) throws Exception {
        try (GgufFile f = GgufFile.open(TinyModels.write(model, dir))) {
            return ModelConfig.fromMetadata(f.metadata());
        }
    }

    @ParameterizedTest
    @FieldSource("RUN")
    void theLlamaFamilyRuns(String model) throws Exception {
        ModelConfig c = config(model);
        assertEquals(List.of(), GpuModels.missingFeatures(c));
        assertDoesNotThrow(() -> GpuModels.require(c));
    }

    @ParameterizedTest
    @FieldSource("REFUSED")
    void otherFamiliesAreOneLineNamingTheArchitecture(String model) throws Exception {
        ModelConfig c = config(model);
        DeviceException e = assertThrows(DeviceException.class, () -> GpuModels.require(c));
        String m = e.getMessage();
        assertTrue(m.startsWith("the GPU cannot run " + c.architecture() + (c.moe() ? " mixture-of-experts" : "") + " models yet ("), m);
        assertTrue(m.endsWith("it runs llama, mistral, qwen2 and qwen3 without experts: use --device cpu"), m);
        assertFalse(m.contains("\n"), m);
        List<String> missing = GpuModels.missingFeatures(c);
        assertFalse(missing.isEmpty(), model + " has a feature the GPU lacks");
        for (String feature : missing) assertTrue(m.contains(feature), m);
    }

    @ParameterizedTest
    @FieldSource("REFUSED")
    void eachFamilysFeaturesAreNamed(String model) throws Exception {
        ModelConfig c = config(model);
        String expected = switch (c.architecture()) {
            case "gemma2" -> "[GELU_TANH activation, post-norms, embedding scale, soft-caps, sliding window]";
            case "gemma3" -> "[GELU_TANH activation, post-norms, embedding scale, sliding window]";
            case "phi3" -> "[sliding window, LongRoPE]";
            case "llama", "qwen2moe", "qwen3moe" -> "[" + c.experts().count() + " experts]";
            default -> null;
        };
        assertEquals(expected, GpuModels.missingFeatures(c).toString(), model);
    }
}
