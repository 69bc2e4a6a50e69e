package dev.vera4j.tools;

import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.api.Session;
import dev.vera4j.vera.AdapterFile;
import dev.vera4j.vera.AdapterLoader;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.VeraTarget;
import dev.vera4j.vera.lora.LoraFile;
import dev.vera4j.vera.lora.LoraMatrices;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The {@code --adapter FILE[:WEIGHT]} option of commands that run a model: each adapter (a vera4j VeRA GGUF, a
 * llama.cpp LoRA GGUF, or a PEFT VeRA or LoRA directory; several stack) is checked against the model file before the
 * model loads ({@link #check}: the base's fingerprint comes from its header and a few sampled bytes), then applied to
 * the session, scaled by its weight.
 *
 * <pre>{@code
 * List<AdapterOptions.Described> adapters = AdapterOptions.check(modelPath, a.all("adapter"));   // before Model.load
 * AdapterOptions.attach(session, model, a.all("adapter"));   // vera4j generate ... --adapter style.gguf:0.8
 * }</pre>
 */
final class AdapterOptions {
    private AdapterOptions() {}

    /** What the load report says about one adapter: where it is, its method (VeRA or LoRA), its rank, targets, weight and size on disk. */
    record Described(Path path, String method, int rank, List<String> targets, float weight, long bytes, long parameters) {}

    /**
     * Parses each spec and checks that its adapter was made for the model at {@code model}, reading only the model's
     * header and samples (no full load).
     *
     * @throws UsageException           for a weight that is not a number
     * @throws IllegalArgumentException naming the adapter when it is missing, not an adapter, or made for another base
     */
    static List<Described> check(Path model, List<String> specs) {
        if (specs.isEmpty()) return List.of();
        BaseFingerprint base = BaseFingerprint.of(model);
        List<Described> out = new ArrayList<>();
        for (String text : specs) {
            AdapterLoader.Spec spec = parse(text);
            out.add(switch (AdapterLoader.kind(spec.path())) {
                case LORA -> {
                    LoraFile f = AdapterLoader.prepareLora(spec.path(), base, false).file();
                    yield new Described(spec.path(), "LoRA", f.sites().values().stream().mapToInt(LoraMatrices::rank).max().orElse(0),
                            f.sites().keySet().stream().map(s -> s.target().shortName()).distinct().toList(), spec.weight(), bytes(spec.path()), f.parameterCount());
                }
                case VERA -> {
                    AdapterLoader.check(spec.path(), base);
                    AdapterFile f = AdapterLoader.read(spec.path(), base);
                    yield new Described(spec.path(), "VeRA", f.config().rank(), f.config().targets().stream().map(VeraTarget::shortName).toList(),
                            spec.weight(), bytes(spec.path()), f.parameterCount());
                }
            });
        }
        return out;
    }

    /**
     * {@link AdapterLoader.Spec#parse}, and a clear word for {@code FILE:abc} where {@code FILE} exists: the part after
     * the colon was meant as the weight.
     */
    static AdapterLoader.Spec parse(String text) {
        AdapterLoader.Spec spec;
        try {
            spec = AdapterLoader.Spec.parse(text);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--adapter " + text + ": " + e.getMessage());
        }
        int colon = text.lastIndexOf(':');
        if (!Files.exists(spec.path()) && colon > 0 && Files.exists(Path.of(text.substring(0, colon)))) {
            throw new UsageException("--adapter " + text + ": the weight '" + text.substring(colon + 1) + "' is not a number (FILE[:WEIGHT], e.g. "
                    + text.substring(0, colon) + ":0.8)");
        }
        return spec;
    }

    /** Adds one hook per spec (VeRA or LoRA, {@link AdapterLoader#hook}) to {@code session}; nothing when {@code specs} is empty. */
    static void attach(Session session, Model model, List<String> specs) {
        if (specs.isEmpty()) return;
        BaseFingerprint base = BaseFingerprint.of(model.path());
        for (String text : specs) {
            AdapterLoader.Spec spec = parse(text);
            session.addHook(AdapterLoader.hook(spec.path(), base, session.batchSize(), spec.weight(), model.pool()));
        }
    }

    /** A file's size, or a PEFT directory's files' total. */
    private static long bytes(Path p) {
        try {
            if (!Files.isDirectory(p)) return Files.size(p);
            try (Stream<Path> s = Files.walk(p)) {
                return s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }
}
