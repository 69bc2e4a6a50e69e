package dev.vera4j.vera;

import dev.vera4j.engine.json.Json;
import dev.vera4j.vera.peft.PeftVeraAdapter;
import dev.vera4j.vera.peft.PeftVeraConfig;
import dev.vera4j.vera.peft.SafetensorsDtype;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Converts between PEFT adapter directories ({@link PeftVeraAdapter}) and vera4j adapter files ({@link AdapterFile})
 * so that import then export gives back the same files: the original {@code adapter_config.json}, dtypes and
 * safetensors metadata travel in the GGUF, and stored projections are dropped only when the seed regenerates them
 * bit for bit.
 *
 * <pre>{@code
 * AdapterFile a = PeftAdapters.fromPeft(PeftImporter.read(dir), BaseFingerprint.of(modelPath));
 * PeftExporter.write(PeftAdapters.toPeft(a, false), outDir);
 * }</pre>
 */
public final class PeftAdapters {
    private PeftAdapters() {}

    /**
     * The vera4j form of a PEFT adapter made for {@code base}.
     *
     * @throws IllegalArgumentException if the adapter's layers do not fit {@code base}
     */
    public static AdapterFile fromPeft(PeftVeraAdapter p, BaseFingerprint base) {
        int[] dims = base.projectionDims(p.targets());
        boolean fma = true;
        Optional<Projections> stored = Optional.empty();
        int inMax = dims[0], outMax = dims[1];
        if (p.projections().isPresent()) {
            Projections sp = p.projections().get();
            if (sp.equals(Projections.generate(p.toVeraConfig(true), sp.inMax(), sp.outMax()))) {
                fma = true;
            } else if (sp.equals(Projections.generate(p.toVeraConfig(false), sp.inMax(), sp.outMax()))) {
                fma = false;
            } else {
                stored = Optional.of(sp);
            }
            inMax = sp.inMax();
            outMax = sp.outMax();
        }
        PeftVeraAdapter.Storage st = p.storage();
        AdapterFile.PeftOrigin origin = new AdapterFile.PeftOrigin(Json.write(p.config().json()),
                p.config().saveProjection(), st.lambdaDtype().name(), st.projectionDtype().name(),
                Json.write(new LinkedHashMap<>(st.metadata())));
        return new AdapterFile(p.toVeraConfig(fma), inMax, outMax, base, p.lambdas(), stored, Optional.of(origin));
    }

    /**
     * The PEFT form of {@code a}: an imported adapter exactly as it came in; an adapter made here with PEFT's defaults,
     * with the projections saved when {@code saveProjection} (PEFT's own default) so that any PEFT version loads it.
     */
    public static PeftVeraAdapter toPeft(AdapterFile a, boolean saveProjection) {
        PeftVeraConfig config;
        PeftVeraAdapter.Storage storage;
        if (a.peft().isPresent()) {
            AdapterFile.PeftOrigin o = a.peft().get();
            config = PeftVeraConfig.fromJson(Json.parse(o.configJson()), "adapter_config.json stored in the adapter");
            Map<String, String> meta = new LinkedHashMap<>();
            if (Json.parse(o.safetensorsMetadata()) instanceof Map<?, ?> m) m.forEach((k, v) -> meta.put(String.valueOf(k), String.valueOf(v)));
            storage = new PeftVeraAdapter.Storage(dtype(o.lambdaDtype()), dtype(o.projectionDtype()), meta);
        } else {
            config = PeftVeraConfig.of(a.config(), a.base().architecture() + " " + a.base().hash(), saveProjection);
            storage = PeftVeraAdapter.Storage.PEFT;
        }
        Optional<Projections> projections = config.saveProjection() ? Optional.of(a.resolveProjections()) : Optional.empty();
        return new PeftVeraAdapter(config, a.lambdas(), projections, storage);
    }

    private static SafetensorsDtype dtype(String name) {
        return SafetensorsDtype.parse(name).orElseThrow(() -> new IllegalArgumentException("unknown safetensors dtype " + name));
    }
}
