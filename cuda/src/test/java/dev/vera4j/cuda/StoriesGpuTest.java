package dev.vera4j.cuda;

import dev.vera4j.engine.kv.KvCache;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.engine.model.ModelWeights;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.simd.WorkerPool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * stories260K (a real trained model) on the device against the shared references: for each of the four prompts,
 * the last position's logits against PyTorch's and the CPU path's, and 64 greedy tokens, picked on the device, equal
 * to llama.cpp's continuation.
 */
@Tag("gpu")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StoriesGpuTest {
    private static final Path SHARED = Path.of(System.getProperty("vera4j.shared", "../shared"));

    /** One reference file: prompt ids, llama.cpp's greedy ids, PyTorch's last-position logits. */
    record Reference(String name, int[] promptIds, int[] generatedIds, float[] logits) {
        static Reference read(Path p) {
            try {
                int[] prompt = null, generated = null;
                float[] logits = null;
                for (String line : Files.readAllLines(p)) {
                    int colon = line.indexOf(':');
                    if (line.startsWith("#") || colon < 0) continue;
                    String[] v = line.substring(colon + 1).trim().split("\\s+");
                    switch (line.substring(0, colon)) {
                        case "prompt_ids" -> prompt = Arrays.stream(v).mapToInt(Integer::parseInt).toArray();
                        case "generated_ids" -> generated = Arrays.stream(v).mapToInt(Integer::parseInt).toArray();
                        case "logits" -> {
                            logits = new float[v.length];
                            for (int i = 0; i < v.length; i++) logits[i] = Float.parseFloat(v[i]);
                        }
                        default -> { }
                    }
                }
                return new Reference(p.getFileName().toString(), prompt, generated, logits);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public String toString() { return name; }
    }

    static Stream<Reference> references() throws IOException {
        try (Stream<Path> files = Files.list(SHARED.resolve("testdata/reference"))) {
            List<Reference> refs = files.filter(f -> f.toString().endsWith(".txt")).sorted().map(Reference::read).toList();
            assertEquals(4, refs.size());
            return refs.stream();
        }
    }

    private CudaDevice gpu;
    private GgufFile file;
    private ModelConfig config;
    private ModelWeights weights;
    private DeviceWeights deviceWeights;
    private CudaForward forward;
    private WorkerPool pool;

    @BeforeAll
    void load() {
        gpu = Gpu.open();
        if (gpu == null) return;
        file = GgufFile.open(SHARED.resolve("models/stories260K.gguf"));
        config = ModelConfig.fromMetadata(file.metadata());
        weights = ModelWeights.of(file, config);
        deviceWeights = DeviceWeights.upload(gpu, config, weights);
        forward = new CudaForward(deviceWeights, config, 32);
        pool = new WorkerPool(1);
    }

    @BeforeEach
    void needsGpu() { Gpu.assume(gpu); }

    @AfterAll
    void close() {
        if (gpu == null) return;
        forward.close();
        deviceWeights.close();
        file.close();
        pool.close();
        assertEquals(0, gpu.allocatedBytes());
        gpu.close();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("references")
    void greedyContinuationAndLogits(Reference ref) {
        try (DeviceKvCache cache = DeviceKvCache.allocate(gpu, config.blockCount(), 128, config.kvDim())) {
            float[] logits = new float[config.vocabSize()], cpu = new float[config.vocabSize()];
            forward.forward(ref.promptIds(), 0, ref.promptIds().length, cache, logits, false);
            new CpuPath(config, weights, pool, 32, 128).forward(ref.promptIds(), 0, ref.promptIds().length, cpu, false);
            float worstRef = 0, worstCpu = 0;
            for (int i = 0; i < logits.length; i++) {
                worstRef = Math.max(worstRef, Math.abs(logits[i] - ref.logits()[i]));
                worstCpu = Math.max(worstCpu, Math.abs(logits[i] - cpu[i]));
            }
            assertTrue(worstRef < 2e-2f, "against PyTorch (F16 cache, as the CPU's test): " + worstRef);
            // the F16 cache rounds keys and values: a value a last bit apart can round to the next half (2^-11)
            assertTrue(worstCpu < 1e-2f, "against the CPU path: " + worstCpu);
            int[] out = new int[ref.generatedIds().length];
            int next = GpuCheck.argmax(logits);
            for (int i = 0; i < out.length; i++) {
                out[i] = next;
                if (i + 1 < out.length) next = forward.forwardGreedy(new int[] {next}, 0, 1, cache);
            }
            assertArrayEquals(ref.generatedIds(), out, "greedy continuation");
        }
    }
}
