package dev.vera4j.tools;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.vera.AdapterFile;
import dev.vera4j.vera.AdapterLoader;
import dev.vera4j.vera.lora.LoraFile;
import dev.vera4j.vera.lora.LoraMatrices;
import dev.vera4j.vera.peft.PeftLora;
import dev.vera4j.vera.AdapterWeights;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.PeftAdapters;
import dev.vera4j.vera.VeraLambdas;
import dev.vera4j.vera.VeraTarget;
import dev.vera4j.vera.peft.PeftExporter;
import dev.vera4j.vera.peft.PeftImporter;
import dev.vera4j.vera.peft.PeftVeraAdapter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * {@code vera4j adapter import|export|info}: converts PEFT VeRA adapter directories to vera4j adapter files and back,
 * and describes an adapter (configuration, parameter count, base model).
 */
final class AdapterCommand implements Command {
    @Override public String name() { return "adapter"; }
    @Override public String summary() { return "import, export or describe VeRA and LoRA adapters (PEFT directories <-> GGUF)"; }
    @Override public String usage() {
        return "import PEFT_DIR -m BASE.gguf -o ADAPTER.gguf [--type F32|F16] | export ADAPTER.gguf -o PEFT_DIR [--save-projection] [-m BASE.gguf] | info ADAPTER [-m BASE.gguf]";
    }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = new Args.Spec()
                .flag("help", "-h", "--help")
                .value("model", "-m", "--model")
                .value("output", "-o", "--output")
                .value("type", "--type")
                .flag("saveProjection", "--save-projection")
                .flag("force", "--force")
                .parse(argv);
        if (a.has("help") || a.positional().isEmpty()) {
            if (!a.has("help")) throw new UsageException("expected a subcommand: import, export or info");
            printHelp(out);
            return 0;
        }
        String sub = a.positional().getFirst();
        if (a.positional().size() != 2) throw new UsageException("adapter " + sub + " takes one path, got " + (a.positional().size() - 1));
        Path path = Path.of(a.positional().get(1));
        return switch (sub) {
            case "import" -> importPeft(path, a, out);
            case "export" -> export(path, a, out);
            case "info" -> info(path, a, out);
            default -> throw new UsageException("unknown subcommand '" + sub + "': expected import, export or info");
        };
    }

    private static int importPeft(Path dir, Args a, PrintStream out) {
        Path model = ModelArg.require(a, "-m BASE.gguf", System.err);
        Path target = a.requirePath("output", "-o ADAPTER.gguf");
        GgmlType type = switch (a.get("type", "F32").toUpperCase(Locale.ROOT)) {
            case "F32" -> GgmlType.F32;
            case "F16" -> GgmlType.F16;
            default -> throw new UsageException("--type must be F32 or F16, got '" + a.get("type") + "'");
        };
        BaseFingerprint base = BaseFingerprint.of(model);
        if (Files.isDirectory(dir) && PeftLora.isLora(dir)) {
            LoraFile lora = PeftLora.read(dir).toLoraFile(base);
            write(() -> lora.write(target, type));
            out.println("imported LoRA " + dir + " -> " + target + " (" + lora.sites().size() + " adapted projections, "
                    + lora.parameterCount() + " parameters, " + size(target) + "; llama.cpp reads it with --lora)");
            return 0;
        }
        AdapterFile adapter = PeftAdapters.fromPeft(PeftImporter.read(dir), base);
        AdapterWeights.prepare(adapter, base, dir.toString(), false);   // fails now, not at first use, if it does not fit
        write(() -> adapter.write(target, type));
        out.println("imported " + dir + " -> " + target + " (" + adapter.lambdas().size() + " adapted projections, "
                + adapter.parameterCount() + " parameters, " + size(target) + ")");
        return 0;
    }

    private static int export(Path file, Args a, PrintStream out) {
        Path dir = a.requirePath("output", "-o PEFT_DIR");
        if (AdapterLoader.kind(file) == AdapterLoader.Kind.LORA) {
            if (Files.isDirectory(file)) throw new UsageException("export takes a GGUF adapter; " + file + " is a PEFT directory already");
            LoraFile lora = LoraFile.read(file);
            BaseFingerprint base = a.has("model") ? BaseFingerprint.of(a.requirePath("model", "-m")) : lora.base().orElseThrow(() ->
                    new UsageException(file + " does not record its base model (made by llama.cpp?): give it with -m BASE.gguf"));
            lora.requireFits(base, file.toString(), a.has("force"));
            PeftLora peft = PeftLora.of(lora, base, LoraFile.dropout(file));
            write(() -> peft.write(dir));
            out.println("exported LoRA " + file + " -> " + dir);
            return 0;
        }
        AdapterFile adapter = AdapterFile.read(file);
        PeftVeraAdapter peft = PeftAdapters.toPeft(adapter, a.has("saveProjection"));
        write(() -> {
            Files.createDirectories(dir);
            PeftExporter.write(peft, dir);
        });
        out.println("exported " + file + " -> " + dir + (peft.projections().isPresent() ? " (with vera_A/vera_B)" : ""));
        return 0;
    }

    private static int info(Path path, Args a, PrintStream out) {
        if (AdapterLoader.kind(path) == AdapterLoader.Kind.LORA) return loraInfo(path, a, out);
        if (Files.isDirectory(path)) {
            PeftVeraAdapter p = PeftImporter.read(path);
            long params = p.lambdas().values().stream().mapToLong(l -> l.out() + l.rank()).sum();
            out.println("PEFT VeRA adapter " + path);
            out.println("  seed (projection_prng_key): " + p.config().projectionPrngKey());
            out.println("  r: " + p.config().rank() + ", d_initial: " + p.config().dInitial());
            out.println("  targets: " + targets(p.targets().stream().map(VeraTarget::shortName).toList()));
            out.println("  layers: " + p.layers());
            out.println("  projections stored: " + p.projections().map(x -> "yes, " + x.outMax() + " x " + x.inMax()).orElse("no"));
            out.println("  trainable parameters: " + params + " (" + p.lambdas().size() + " adapted projections)");
            return 0;
        }
        AdapterFile f = AdapterFile.read(path);
        String storage;
        try (GgufFile g = GgufFile.open(path)) {
            storage = g.tensors().values().iterator().next().type().name();
        }
        out.println("VeRA adapter " + path + " (" + size(path) + ", λ as " + storage + ")");
        out.println("  base: " + f.base().describe());
        out.println("  seed: " + f.config().seed() + ", r: " + f.config().rank() + ", d_initial: " + f.config().dInitial()
                + ", projections: " + (f.projections().isPresent() ? "stored" : "regenerated ("
                + (f.config().fusedMultiplyAdd() ? "fused" : "unfused") + " rounding)") + ", " + f.outMax() + " x " + f.inMax());
        out.println("  targets: " + targets(f.config().targets().stream().map(VeraTarget::shortName).toList()));
        out.println("  layers: " + (f.config().layers().isEmpty() ? "all " + f.base().blockCount() : f.config().layers().toString()));
        out.println("  trainable parameters: " + f.parameterCount() + " (" + f.lambdas().size() + " adapted projections)");
        float maxB = 0;
        for (VeraLambdas l : f.lambdas().values()) for (float v : l.lambdaB()) maxB = Math.max(maxB, Math.abs(v));
        out.println("  max |λ_b|: " + maxB + (maxB == 0 ? " (untrained: the adapter changes nothing)" : ""));
        f.peft().ifPresent(o -> out.println("  imported from PEFT (save_projection=" + o.saveProjection() + ", λ dtype " + o.lambdaDtype() + ")"));
        if (a.has("model")) {
            AdapterWeights.prepare(f, BaseFingerprint.of(ModelArg.require(a, "-m", System.err)), path.toString(), a.has("force"));
            out.println("  fits " + a.get("model"));
        }
        return 0;
    }

    private static int loraInfo(Path path, Args a, PrintStream out) {
        boolean dir = Files.isDirectory(path);
        java.util.Collection<LoraMatrices> sites;
        String head;
        if (dir) {
            PeftLora p = PeftLora.read(path);
            sites = p.sites().values();
            head = "PEFT LoRA adapter " + path + " (r " + p.config().get("r") + ", lora_alpha " + p.config().get("lora_alpha")
                    + (Boolean.TRUE.equals(p.config().get("use_rslora")) ? ", rsLoRA" : "") + ")";
        } else {
            LoraFile f = LoraFile.read(path);
            sites = f.sites().values();
            String storage;
            try (GgufFile g = GgufFile.open(path)) {
                storage = g.tensors().values().iterator().next().type().name();
            }
            head = "LoRA adapter " + path + " (" + size(path) + ", A/B as " + storage + ")\n  base: "
                    + f.base().map(BaseFingerprint::describe).orElse(f.architecture() + " (no fingerprint recorded: checked by shape only)");
        }
        out.println(head);
        out.println("  r: " + sites.stream().map(m -> String.valueOf(m.rank())).distinct().collect(Collectors.joining(", "))
                + ", scale (alpha/r): " + sites.stream().map(m -> String.valueOf(m.scale())).distinct().collect(Collectors.joining(", ")));
        out.println("  targets: " + targets(sites.stream().map(m -> m.site().target().shortName()).distinct().toList()));
        out.println("  layers: " + sites.stream().map(m -> m.site().layer()).distinct().sorted().toList());
        out.println("  trainable parameters: " + sites.stream().mapToLong(LoraMatrices::parameterCount).sum() + " (" + sites.size() + " adapted projections)");
        if (a.has("model")) {
            AdapterLoader.prepareLora(path, BaseFingerprint.of(a.requirePath("model", "-m")), a.has("force"));
            out.println("  fits " + a.get("model"));
        }
        return 0;
    }

    private static String targets(java.util.List<String> names) {
        return names.stream().collect(Collectors.joining(", "));
    }

    private static String size(Path p) {
        try {
            long n = Files.size(p);
            return n < 10_000 ? n + " bytes" : String.format(Locale.ROOT, "%.1f KB", n / 1000.0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private interface IoAction { void run() throws IOException; }

    private static void write(IoAction action) {
        try {
            action.run();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write: " + e.getMessage(), e);
        }
    }

    private void printHelp(PrintStream out) {
        out.println("usage: vera4j adapter " + usage().replace(" | ", "\n       vera4j adapter "));
        out.println();
        out.println("  import PEFT_DIR -m BASE.gguf -o ADAPTER.gguf   convert a PEFT VeRA or LoRA adapter (adapter_config.json +");
        out.println("                                                 adapter_model.safetensors) made for BASE; a LoRA becomes");
        out.println("                                                 a llama.cpp LoRA GGUF (q/k rows permuted as the base's)");
        out.println("      --type F32|F16     how λ vectors are stored (default F32)");
        out.println("  export ADAPTER.gguf -o PEFT_DIR                write a PEFT adapter directory; an imported adapter");
        out.println("                                                 comes back byte for byte");
        out.println("      --save-projection  include vera_A/vera_B (for adapters made by vera4j)");
        out.println("      -m BASE.gguf       the base of a LoRA GGUF that does not record it (llama.cpp's)");
        out.println("  info ADAPTER [-m BASE.gguf] [--force]          configuration and parameter count of a GGUF adapter");
        out.println("                                                 or PEFT directory; with -m, check it fits BASE");
        out.println("                                                 (--force accepts a base whose fingerprint differs)");
    }
}
