package dev.vera4j.tests;

import dev.vera4j.cuda.CudaDevice;
import dev.vera4j.cuda.CudaForward;
import dev.vera4j.cuda.CudaUnavailableException;
import dev.vera4j.cuda.DeviceKvCache;
import dev.vera4j.cuda.DeviceVeraAdapter;
import dev.vera4j.cuda.DeviceVeraProjections;
import dev.vera4j.cuda.DeviceWeights;
import dev.vera4j.cuda.VeraSiteWeights;
import dev.vera4j.engine.api.LoadOptions;
import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.api.ModelAdapter;
import dev.vera4j.engine.api.Session;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.LinearSite;
import dev.vera4j.engine.model.ModelWeights;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.vera.AdapterLoader;
import dev.vera4j.vera.AdapterWeights;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.VeraAdapter;
import dev.vera4j.vera.VeraAdapters;
import dev.vera4j.vera.VeraTarget;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * PEFT's VeRA adapter on all seven targets of stories260K, applied on the GPU ({@link DeviceVeraAdapter}, from the same
 * {@link AdapterWeights} the CPU's {@link VeraAdapter} uses) against the CPU session with that adapter: the logits of a
 * prompt and of each of 16 greedy steps; and the same through the CUDA backend, as {@code --device cuda} runs it.
 * Runs where a GPU is (scripts/gpu-check.sh; here with {@code -Dvera4j.cuda.library=} the cuda module's emulator);
 * skipped elsewhere.
 */
@Tag("gpu")
class VeraGpuTest {
    private static final Path STORIES = Path.of(System.getProperty("vera4j.shared", "../shared")).resolve("models/stories260K.gguf");
    /** PEFT's VeRA on all seven projections of stories260K (random λ; vera's test resources), from tests/ or the root. */
    private static final Path PEFT = java.util.stream.Stream.of("../vera", "vera")
            .map(d -> Path.of(d, "src/test/resources/dev/vera4j/vera/stories/stories-vera"))
            .filter(java.nio.file.Files::isDirectory).findFirst().orElse(Path.of("../vera/src/test/resources/dev/vera4j/vera/stories/stories-vera"));

    /** The seven targets of a dense llama-family block, the ones the GPU adapts. */
    private static final java.util.EnumSet<VeraTarget> SEVEN = java.util.EnumSet.range(VeraTarget.Q, VeraTarget.DOWN);

    /** The CPU adapter's arrays, site by site, as the device adapter takes them. */
    static List<VeraSiteWeights> sites(AdapterWeights w) {
        List<VeraSiteWeights> out = new ArrayList<>();
        for (int l = 0; l < w.blockCount(); l++) {
            for (VeraTarget t : SEVEN) {
                AdapterWeights.Site s = w.site(l, t);
                if (s == null) continue;
                out.add(new VeraSiteWeights(new LinearSite(l, LinearSite.Kind.valueOf(t.name())), s.in(), s.out(), s.lambdaB(), s.lambdaD(),
                        w.a(), w.aStride(), s.bt(), s.btStride()));
            }
        }
        return out;
    }

    @Test
    void adapterOnAllSevenTargetsEqualsTheCpu() {
        CudaDevice gpu;
        try {
            gpu = CudaDevice.open(0);
        } catch (CudaUnavailableException e) {
            Assumptions.abort("no CUDA device: " + e.getMessage());
            return;
        }
        AdapterWeights w = AdapterLoader.prepare(PEFT, BaseFingerprint.of(STORIES), false);
        assertEquals(7, SEVEN.stream().filter(t -> w.site(0, t) != null).count(), "all seven targets");
        int[] prompt = {1, 403, 407, 261, 378};
        try (gpu; Model model = Model.load(STORIES, 1); GgufFile file = GgufFile.open(STORIES);
             DeviceWeights dw = DeviceWeights.upload(gpu, model.config(), ModelWeights.of(file, model.config()));
             CudaForward f = new CudaForward(dw, model.config(), 32);
             DeviceVeraProjections shared = new DeviceVeraProjections(gpu);
             DeviceVeraAdapter adapter = DeviceVeraAdapter.upload(shared, 1f, model.config().blockCount(), sites(w));
             DeviceKvCache cache = DeviceKvCache.allocate(gpu, model.config().blockCount(), 64, model.config().kvDim())) {
            Session s = model.newSession(64, KvType.F16, 32);
            s.addHook(new VeraAdapter(w, 32, 1f));
            f.addAdapter(adapter);
            float[] cpu = s.ingest(prompt), dev = new float[model.config().vocabSize()];
            f.forward(prompt, 0, prompt.length, cache, dev, false);
            for (int step = 0; step < 16; step++) {
                float worst = 0;
                for (int i = 0; i < cpu.length; i++) worst = Math.max(worst, Math.abs(cpu[i] - dev[i]));
                assertTrue(worst < 1e-2f, "step " + step + ": logits differ by " + worst);
                int next = argmax(cpu);
                assertEquals(next, argmax(dev), "step " + step + ": greedy token");
                cpu = s.ingest(new int[] {next});
                f.forward(new int[] {next}, 0, 1, cache, dev, false);
            }
        }
    }

    /**
     * The same adapter as the engine applies it on {@code --device cuda}: {@code VeraAdapters.load}'s hook on a session
     * of a model loaded onto the GPU, run on the device from the hook's low-rank form (the q/k-permuted B included),
     * against the CPU session with its own hook of that adapter.
     */
    @Test
    void adapterThroughTheCudaBackendEqualsTheCpu() {
        try (CudaDevice gpu = CudaDevice.open(0)) {
            assertNotNull(gpu.info());
        } catch (CudaUnavailableException e) {
            Assumptions.abort("no CUDA device: " + e.getMessage());
        }
        ModelAdapter adapter = VeraAdapters.load(PEFT);
        int[] prompt = {1, 403, 407, 261, 378};
        try (Model onGpu = Model.load(STORIES, LoadOptions.builder().device("cuda").threads(1).build()); Model onCpu = Model.load(STORIES, 1);
             Session g = onGpu.newSession(64, KvType.F16, 32); Session c = onCpu.newSession(64, KvType.F16, 32)) {
            g.addHook(adapter.newHook(STORIES, 32));
            c.addHook(adapter.newHook(STORIES, 32));
            float[] dev = g.ingest(prompt), cpu = c.ingest(prompt);
            for (int step = 0; step < 16; step++) {
                float worst = 0;
                for (int i = 0; i < cpu.length; i++) worst = Math.max(worst, Math.abs(cpu[i] - dev[i]));
                assertTrue(worst < 1e-2f, "step " + step + ": logits differ by " + worst);
                int next = argmax(cpu);
                assertEquals(next, argmax(dev), "step " + step + ": greedy token");
                cpu = c.ingest(new int[] {next});
                dev = g.ingest(new int[] {next});
            }
        }
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
