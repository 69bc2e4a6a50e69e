package dev.vera4j.tools;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.vera.AdapterLoader;
import dev.vera4j.vera.AdapterWeights;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.lora.LoraWeights;
import dev.vera4j.vera.merge.Merger;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code vera4j merge -m BASE.gguf --adapter ADAPTER[:WEIGHT] -o OUT.gguf [--type T]}: writes a standalone model with
 * the adapter folded into its weights ({@link Merger}).
 */
final class MergeCommand implements Command {
    @Override public String name() { return "merge"; }
    @Override public String summary() { return "fold a VeRA or LoRA adapter into a model's weights, writing a new GGUF"; }
    @Override public String usage() { return "-m BASE.gguf --adapter ADAPTER[:WEIGHT] -o OUT.gguf [--type F32|F16|BF16|Q8_0|...] [--threads N] [--force]"; }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = new Args.Spec()
                .flag("help", "-h", "--help")
                .value("model", "-m", "--model")
                .value("adapter", "--adapter")
                .value("output", "-o", "--output")
                .value("type", "--type")
                .value("threads", "-t", "--threads")
                .flag("force", "--force")
                .parse(argv);
        if (a.has("help")) {
            out.println("usage: vera4j merge " + usage());
            out.println();
            out.println("Writes BASE with W + weight * diag(λ_b)·B·diag(λ_d)·A (VeRA) or W + weight * scale·B·A (LoRA) in every");
            out.println("adapted weight; all other tensors and the metadata are copied unchanged. ADAPTER is a VeRA or LoRA");
            out.println("GGUF (llama.cpp's LoRA files too) or a PEFT directory.");
            out.println();
            out.println("  --adapter A[:W]  the adapter, optionally scaled by W (default 1; -1 takes a merged adapter out)");
            out.println("  --type T         type of the merged weights (default: each weight keeps its own type)");
            out.println("  --threads N      threads computing ΔW (default: all processors)");
            out.println("  --force          accept a base whose fingerprint differs from the adapter's (same shape)");
            return 0;
        }
        if (!a.positional().isEmpty()) throw new UsageException("unexpected argument '" + a.positional().getFirst() + "'");
        if (a.all("adapter").size() > 1) throw new UsageException("merge takes one --adapter; merge several one after another");
        Path model = ModelArg.require(a, "-m BASE.gguf", err);
        AdapterLoader.Spec spec = AdapterLoader.Spec.parse(a.require("adapter", "--adapter ADAPTER"));
        Path target = a.requirePath("output", "-o OUT.gguf");
        GgmlType type = a.has("type") ? parseType(a.get("type")) : null;
        int threads = ThreadsOption.of(a, err);
        if (target.toAbsolutePath().normalize().equals(model.toAbsolutePath().normalize())) {
            throw new UsageException("-o must differ from -m: the base is read while the output is written");
        }
        long start = System.nanoTime();
        try (GgufFile base = GgufFile.open(model); WorkerPool pool = new WorkerPool(threads)) {
            BaseFingerprint fp = BaseFingerprint.of(base);
            int adapted;
            try (Progress p = Progress.start("merging into " + target.getFileName(), err, System.console() != null)) {
                if (AdapterLoader.kind(spec.path()) == AdapterLoader.Kind.LORA) {
                    LoraWeights w = AdapterLoader.prepareLora(spec.path(), fp, a.has("force"));
                    new Merger(pool).merge(base, w, spec.weight(), type, target);
                    adapted = w.file().sites().size();
                } else {
                    AdapterWeights w = AdapterLoader.prepare(spec.path(), fp, a.has("force"));
                    new Merger(pool).merge(base, w, spec.weight(), type, target);
                    adapted = w.file().lambdas().size();
                }
            }
            out.printf(Locale.ROOT, "merged %s (weight %s, %d adapted projections) into %s -> %s in %.1f s%n", spec.path(), spec.weight(),
                    adapted, model, target, (System.nanoTime() - start) / 1e9);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
        return 0;
    }

    private static GgmlType parseType(String s) {
        try {
            return GgmlType.valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UsageException("unknown --type '" + s + "' (e.g. F32, F16, BF16, Q8_0, Q4_0)");
        }
    }
}
