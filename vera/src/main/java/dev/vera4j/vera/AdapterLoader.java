package dev.vera4j.vera;

import dev.vera4j.engine.model.LinearHook;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.vera.lora.LoraFile;
import dev.vera4j.vera.lora.LoraHook;
import dev.vera4j.vera.lora.LoraWeights;
import dev.vera4j.vera.peft.PeftImporter;
import dev.vera4j.vera.peft.PeftLora;
import dev.vera4j.vera.peft.PeftVeraAdapter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Loads an adapter from wherever one is accepted: a vera4j adapter GGUF, or a PEFT adapter directory
 * ({@code adapter_config.json} + {@code adapter_model.safetensors}), imported on the fly against the base; VeRA or
 * LoRA ({@link #kind} tells them apart, {@link #hook} applies either; a LoRA is a llama.cpp LoRA GGUF or a PEFT LoRA
 * directory).
 * {@link Spec} parses the command-line form {@code PATH[:WEIGHT]}.
 *
 * <pre>{@code
 * AdapterLoader.Spec spec = AdapterLoader.Spec.parse("my-adapter.gguf:0.5");
 * AdapterWeights w = AdapterLoader.prepare(spec.path(), BaseFingerprint.of(modelPath), false);
 * session.addHook(new VeraAdapter(w, session.batchSize(), spec.weight()));
 * }</pre>
 */
public final class AdapterLoader {
    private AdapterLoader() {}

    /** An adapter path and the weight to apply it with. */
    public record Spec(Path path, float weight) {
        /**
         * {@code PATH} (weight 1) or {@code PATH:WEIGHT}; a suffix after the last colon that is not a number is part of
         * the path.
         *
         * @throws IllegalArgumentException if the weight is not finite
         */
        public static Spec parse(String text) {
            int colon = text.lastIndexOf(':');
            if (colon > 0 && colon < text.length() - 1) {
                try {
                    float w = Float.parseFloat(text.substring(colon + 1));
                    if (!Float.isFinite(w)) throw new IllegalArgumentException("adapter weight must be finite: " + text);
                    return new Spec(Path.of(text.substring(0, colon)), w);
                } catch (NumberFormatException e) {
                    // not a weight: the colon belongs to the path
                }
            }
            return new Spec(Path.of(text), 1f);
        }
    }

    /**
     * Reads the adapter at {@code path}: a directory as a PEFT adapter made for {@code base}, a file as an
     * {@link AdapterFile}.
     *
     * @throws IllegalArgumentException if it does not exist or is not a VeRA adapter
     */
    public static AdapterFile read(Path path, BaseFingerprint base) {
        if (Files.isDirectory(path)) return PeftAdapters.fromPeft(PeftImporter.read(path), base);
        if (!Files.isRegularFile(path)) throw new IllegalArgumentException("adapter " + path + " does not exist");
        return AdapterFile.read(path);
    }

    /**
     * Checks cheaply that the adapter at {@code path} was made for {@code base}, without preparing it: a GGUF's
     * recorded base (metadata only), a PEFT directory's vector sizes against the base's layers. LoRA adapters are refused
     * with a one-line reason (the {@link AdapterCache} holds VeRA adapters only).
     *
     * <pre>{@code
     * for (Path p : adapters) AdapterLoader.check(p, base);   // one clear error per adapter that does not fit
     * }</pre>
     *
     * @throws IllegalArgumentException naming the adapter and the problem
     */
    public static void check(Path path, BaseFingerprint base) {
        if (kind(path) == Kind.LORA) {
            prepareLora(path, base, false);   // a wrong base says so first
            throw new IllegalArgumentException("adapter " + path + " is a LoRA adapter; the adapter cache serves VeRA adapters only so far");
        }
        if (Files.isDirectory(path)) {
            PeftVeraAdapter p = PeftImporter.read(path);
            int[] dims = base.projectionDims(p.targets());
            new AdapterFile(p.toVeraConfig(true), dims[0], dims[1], base, p.lambdas(), Optional.empty(), Optional.empty());
            return;
        }
        if (!Files.isRegularFile(path)) throw new IllegalArgumentException("adapter " + path + " does not exist");
        AdapterFile.readBase(path).requireSameModel(base, path.getFileName().toString(), false);
    }

    /** The two kinds of adapter {@code --adapter} takes. */
    public enum Kind { VERA, LORA }

    /**
     * What the adapter at {@code path} is: a GGUF's {@code adapter.type} ({@code lora}, else VeRA), a PEFT
     * directory's {@code peft_type} ({@code LORA}, else VeRA); reads metadata only.
     *
     * @throws IllegalArgumentException if it does not exist or is not readable
     */
    public static Kind kind(Path path) {
        if (Files.isDirectory(path)) return PeftLora.isLora(path) ? Kind.LORA : Kind.VERA;
        if (!Files.isRegularFile(path)) throw new IllegalArgumentException("adapter " + path + " does not exist");
        return LoraFile.isLora(path) ? Kind.LORA : Kind.VERA;
    }

    /**
     * Reads the LoRA adapter at {@code path} (a llama.cpp LoRA GGUF or a PEFT LoRA directory) and prepares it for
     * {@code base}, refusing another base (a recorded fingerprint, else architecture and shapes).
     *
     * @throws IllegalArgumentException if it is not a LoRA adapter or does not fit {@code base}
     */
    public static LoraWeights prepareLora(Path path, BaseFingerprint base, boolean ignoreHash) {
        LoraFile f = Files.isDirectory(path) ? PeftLora.read(path).toLoraFile(base) : LoraFile.read(path);
        return LoraWeights.prepare(f, base, path.toString(), ignoreHash);
    }

    /**
     * A hook for one session that applies the adapter at {@code path}, of either kind, scaled by {@code weight}.
     *
     * <pre>{@code
     * session.addHook(AdapterLoader.hook(Path.of("style-lora.gguf"), BaseFingerprint.of(modelPath), session.batchSize(), 0.5f, model.pool()));
     * }</pre>
     *
     * @param maxTokens the most tokens one call carries (the session's batch size)
     * @param pool      the model's threads, or {@code null}
     * @throws IllegalArgumentException if it is not an adapter or does not fit {@code base}
     */
    public static LinearHook hook(Path path, BaseFingerprint base, int maxTokens, float weight, WorkerPool pool) {
        return switch (kind(path)) {
            case LORA -> new LoraHook(prepareLora(path, base, false), maxTokens, weight, pool);
            case VERA -> new VeraAdapter(prepare(path, base, false), maxTokens, weight, pool);
        };
    }

    /** {@link #read} then {@link AdapterWeights#prepare} for {@code base}. */
    public static AdapterWeights prepare(Path path, BaseFingerprint base, boolean ignoreHash) {
        return AdapterWeights.prepare(read(path, base), base, path.toString(), ignoreHash);
    }
}
