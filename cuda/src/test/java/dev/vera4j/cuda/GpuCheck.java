package dev.vera4j.cuda;

import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.kv.KvCache;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.engine.model.ModelWeights;
import dev.vera4j.gguf.GgufFile;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The device machine's comparison of the GPU path with the CPU path on whole models (run by scripts/gpu-check.sh
 * from the cuda test jar; no JUnit): for each model and prompt, the CPU generates greedily and the GPU is fed the
 * same tokens, so every step's argmax and logits can be compared (all steps' argmaxes equal ⟺ the GPU's own greedy
 * continuation is the CPU's); then the GPU's prefill and decode speed beside the HBM ceiling (file bytes ÷
 * bandwidth). Prints markdown tables for the report.
 *
 * <pre>
 * java -cp vera4j.jar:vera4j-cuda-tests.jar dev.vera4j.cuda.GpuCheck --prompts ../shared/testdata/reference \
 *     --tokens 64 --bench --hbm 4.3e12 a.gguf b.gguf
 * </pre>
 */
public final class GpuCheck {
    private final PrintStream out;
    private final List<String> prompts;
    private final int tokens;

    private GpuCheck(PrintStream out, List<String> prompts, int tokens) {
        this.out = out;
        this.prompts = prompts;
        this.tokens = tokens;
    }

    public static void main(String[] args) throws IOException {
        List<Path> models = new ArrayList<>();
        Path promptDir = null;
        int tokens = 64, maxPrompts = Integer.MAX_VALUE;
        boolean bench = false;
        double hbm = 4.3e12;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--prompts" -> promptDir = Path.of(args[++i]);
                case "--max-prompts" -> maxPrompts = Integer.parseInt(args[++i]);
                case "--tokens" -> tokens = Integer.parseInt(args[++i]);
                case "--bench" -> bench = true;
                case "--hbm" -> hbm = Double.parseDouble(args[++i]);
                default -> models.add(Path.of(args[i]));
            }
        }
        if (promptDir == null || models.isEmpty()) {
            System.err.println("usage: GpuCheck --prompts REFERENCE_DIR [--max-prompts N] [--tokens 64] [--bench] [--hbm BYTES_PER_S] MODEL.gguf...");
            System.exit(2);
        }
        List<String> prompts = readPrompts(promptDir);
        GpuCheck check = new GpuCheck(System.out, prompts.subList(0, Math.min(maxPrompts, prompts.size())), tokens);
        boolean ok = true;
        try (CudaDevice gpu = CudaDevice.open(0)) {
            long free = gpu.memory().free();
            System.out.println("device: " + gpu.info().describe() + "; kernels: " + KernelImage.load().describe());
            System.out.println("int8 activations for one-token Q8_0/Q4_0 products: " + (Boolean.getBoolean("vera4j.noint8") ? "off (-Dvera4j.noint8=true, both paths)" : "on (both paths)"));
            System.out.println();
            System.out.println("| model | prompt | greedy steps equal | first difference (CPU top-2 gap there) | largest logit difference, last prompt position | over all steps |");
            System.out.println("|---|---|---|---|---|---|");
            for (Path m : models) ok &= check.compare(gpu, m);
            if (bench) {
                System.out.println();
                System.out.println("| model | file | GPU weights | prefill pp512 tok/s | decode tg128 tok/s | HBM ceiling tok/s (file ÷ " + String.format(Locale.ROOT, "%.1f", hbm / 1e12) + " TB/s) | decode / ceiling |");
                System.out.println("|---|---|---|---|---|---|---|");
                for (Path m : models) check.bench(gpu, m, hbm);
            }
            System.out.println();
            long after = gpu.memory().free();
            System.out.println("device memory still allocated through vera4j after closing everything: " + gpu.allocatedBytes()
                    + " bytes; free device memory (cuMemGetInfo) " + free + " bytes before the models, " + after + " after closing them");
            ok &= gpu.allocatedBytes() == 0 && after >= free - (2 << 20);
        }
        System.exit(ok ? 0 : 1);
    }

    /** The {@code prompt:} lines of the reference files. */
    static List<String> readPrompts(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".txt")).sorted().toList()) {
                for (String line : Files.readAllLines(f)) if (line.startsWith("prompt: ")) out.add(line.substring(8));
            }
        }
        return out;
    }

    /** One model: per prompt, CPU greedy and the GPU teacher-forced on the CPU's tokens. */
    private boolean compare(CudaDevice gpu, Path path) {
        boolean ok = true;
        try (Model model = Model.load(path); GgufFile file = GgufFile.open(path)) {
            ModelConfig c = model.config();
            int ctx = 256;
            try (DeviceWeights w = DeviceWeights.upload(gpu, c, ModelWeights.of(file, c));
                 CudaForward f = new CudaForward(w, c, 64)) {
                for (String prompt : prompts) {
                    int[] ids = model.tokenizer().encode(prompt, true, false);
                    try (DeviceKvCache gpuCache = DeviceKvCache.allocate(gpu, c.blockCount(), ctx, c.kvDim())) {
                        CpuPath cpu = new CpuPath(c, ((dev.vera4j.engine.backend.cpu.CpuBackend) model.backend()).weights(), model.pool(), 64, ctx);
                        float[] a = new float[c.vocabSize()], b = new float[c.vocabSize()];
                        int[] feed = ids;
                        int equal = 0, first = -1;
                        float firstGap = 0, lastPrompt = 0, overall = 0;
                        for (int step = 0; step < tokens; step++) {
                            cpu.forward(feed, 0, feed.length, a, false);
                            f.forward(feed, 0, feed.length, gpuCache, b, false);
                            float d = maxDifference(a, b);
                            if (step == 0) lastPrompt = d;
                            overall = Math.max(overall, d);
                            int ca = argmax(a), ga = argmax(b);
                            if (ca == ga) equal++;
                            else if (first < 0) {
                                first = step;
                                firstGap = topTwoGap(a);
                            }
                            feed = new int[] {ca};
                        }
                        ok &= equal == tokens && lastPrompt < 1e-2f;
                        out.printf(Locale.ROOT, "| %s | %s | %d/%d | %s | %.2e | %.2e |%n", path.getFileName(), prompt, equal, tokens,
                                first < 0 ? "none" : first + " (" + String.format(Locale.ROOT, "%.2e", firstGap) + ")", lastPrompt, overall);
                    }
                }
                out.printf("| %s | (weights on the GPU) | %s | | | |%n", path.getFileName(), w.describe());
            }
        } catch (RuntimeException e) {
            out.printf("| %s | error | %s | | | |%n", path.getFileName(), e.getMessage());
            return false;
        }
        return ok;
    }

    /** Prefill of 512 random tokens and 128 one-token steps (greedy on the device), median of 3 after a warm-up. */
    private void bench(CudaDevice gpu, Path path, double hbm) {
        try (GgufFile file = GgufFile.open(path)) {
            ModelConfig c = ModelConfig.fromMetadata(file.metadata());
            int pp = Math.min(512, c.contextLength() / 2), tg = 128;
            try (DeviceWeights w = DeviceWeights.upload(gpu, c, ModelWeights.of(file, c));
                 CudaForward f = new CudaForward(w, c, pp);
                 DeviceKvCache cache = DeviceKvCache.allocate(gpu, c.blockCount(), pp + tg, c.kvDim())) {
                int[] prompt = new SplittableRandom(1).ints(pp, 0, c.vocabSize()).toArray();
                float[] logits = new float[c.vocabSize()];
                double[] pre = new double[3], dec = new double[3];
                for (int r = -1; r < 3; r++) {
                    cache.truncate(0);
                    long t0 = System.nanoTime();
                    f.forward(prompt, 0, pp, cache, logits, false);
                    long t1 = System.nanoTime();
                    int next = argmax(logits);
                    for (int i = 0; i < tg; i++) next = f.forwardGreedy(new int[] {next}, 0, 1, cache);
                    long t2 = System.nanoTime();
                    if (r >= 0) {
                        pre[r] = pp * 1e9 / (t1 - t0);
                        dec[r] = tg * 1e9 / (t2 - t1);
                    }
                }
                Arrays.sort(pre);
                Arrays.sort(dec);
                long bytes = Files.size(path);
                double ceiling = hbm / bytes;
                out.printf(Locale.ROOT, "| %s | %s | %s | %.1f | %.1f | %.0f | %.1f %% |%n", path.getFileName(), Bytes.format(bytes),
                        Bytes.format(w.bytes()), pre[1], dec[1], ceiling, 100 * dec[1] / ceiling);
            }
        } catch (IOException | RuntimeException e) {
            out.printf("| %s | error: %s | | | | | |%n", path.getFileName(), e.getMessage());
        }
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    private static float topTwoGap(float[] v) {
        float a = Float.NEGATIVE_INFINITY, b = Float.NEGATIVE_INFINITY;
        for (float x : v) {
            if (x > a) {
                b = a;
                a = x;
            } else if (x > b) b = x;
        }
        return a - b;
    }

    private static float maxDifference(float[] a, float[] b) {
        float d = 0;
        for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
        return d;
    }
}
