package dev.vera4j.vera.peft;

import dev.vera4j.engine.json.Json;
import dev.vera4j.engine.json.JsonException;
import dev.vera4j.vera.Projections;
import dev.vera4j.vera.VeraLambdas;
import dev.vera4j.vera.VeraSite;
import dev.vera4j.vera.VeraTarget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Reads a PEFT VeRA adapter directory ({@code adapter_config.json} + {@code adapter_model.safetensors}, as
 * {@code PeftModel.save_pretrained} writes it for a transformers LLaMA model) into a {@link PeftVeraAdapter}.
 *
 * <p>Every tensor must be understood: {@code vera_lambda_b}/{@code vera_lambda_d} of {@code q_proj}, {@code k_proj},
 * {@code v_proj}, {@code o_proj}, {@code gate_proj}, {@code up_proj}, {@code down_proj} (both vectors for each site,
 * 1-D, one floating-point dtype for all of them) and, with {@code save_projection}, {@code base_model.vera_A}
 * {@code [r, in_max]} and {@code base_model.vera_B} {@code [out_max, r]}. Sites must agree with {@code target_modules}
 * and {@code layers_to_transform}. Anything else is a {@link PeftAdapterException} naming the directory and the problem;
 * a malformed tensor file is a {@link SafetensorsFormatException}.
 *
 * <pre>{@code
 * PeftVeraAdapter adapter = PeftImporter.read(Path.of("vera-adapter"));
 * }</pre>
 */
public final class PeftImporter {
    /** PEFT's file names. */
    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";

    private PeftImporter() {}

    /**
     * Reads and validates the adapter in {@code dir}.
     *
     * @throws PeftAdapterException       if files are missing or the adapter is not a usable VeRA adapter
     * @throws SafetensorsFormatException if the tensor file is corrupt
     */
    public static PeftVeraAdapter read(Path dir) {
        String where = dir.toString();
        if (!Files.isDirectory(dir)) {
            throw new PeftAdapterException(where, "not a directory");
        }
        Path configPath = dir.resolve(CONFIG_FILE);
        Path weightsPath = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(configPath)) {
            throw new PeftAdapterException(where, "no " + CONFIG_FILE);
        }
        if (!Files.isRegularFile(weightsPath)) {
            throw new PeftAdapterException(where, Files.exists(dir.resolve("adapter_model.bin"))
                    ? "only adapter_model.bin (PyTorch pickle) found; save the adapter with safe_serialization=True"
                    : "no " + WEIGHTS_FILE);
        }
        PeftVeraConfig config = readConfig(configPath);
        try (Safetensors st = Safetensors.open(weightsPath)) {
            return fromTensors(config, st, weightsPath.toString());
        }
    }

    /** Parses and validates an {@code adapter_config.json}. */
    static PeftVeraConfig readConfig(Path path) {
        String text;
        try {
            text = Files.readString(path);
        } catch (IOException e) {
            throw new PeftAdapterException(path.toString(), "cannot read: " + e.getMessage(), e);
        }
        try {
            return PeftVeraConfig.fromJson(Json.parse(text), path.toString());
        } catch (JsonException e) {
            throw new PeftAdapterException(path.toString(), "invalid JSON: " + e.getMessage(), e);
        }
    }

    /**
     * Builds the adapter from an open tensor file (values are copied out of it).
     *
     * @param where names the tensor file in error messages
     */
    static PeftVeraAdapter fromTensors(PeftVeraConfig config, Safetensors st, String where) {
        Map<VeraSite, float[]> bs = new TreeMap<>();
        Map<VeraSite, float[]> ds = new TreeMap<>();
        SafetensorsDtype lambdaDtype = null;
        SafetensorsTensor a = null;
        SafetensorsTensor b = null;
        for (SafetensorsTensor t : st.tensors().values()) {
            if (t.name().equals(PeftTensorNames.VERA_A)) {
                a = t;
                continue;
            }
            if (t.name().equals(PeftTensorNames.VERA_B)) {
                b = t;
                continue;
            }
            PeftTensorNames.Lambda lambda = PeftTensorNames.parseLambda(t.name()).orElseThrow(() ->
                    new PeftAdapterException(where, "unexpected tensor '" + t.name()
                            + "': only vera_lambda_b/vera_lambda_d of q/k/v/o/qkv/gate/up/down/gate_up_proj, of experts and shared experts, "
                            + "and vera_A/vera_B are supported"));
            checkSite(config, lambda.site(), t.name(), where);
            if (t.shape().length != 1 || t.elementCount() == 0) {
                throw new PeftAdapterException(where, "tensor '" + t.name() + "' has shape "
                        + Arrays.toString(t.shape()) + ", expected a non-empty vector");
            }
            if (!t.dtype().isFloat()) {
                throw new PeftAdapterException(where, "tensor '" + t.name() + "' has dtype " + t.dtype()
                        + ", expected a floating-point type");
            }
            if (lambdaDtype != null && lambdaDtype != t.dtype()) {
                throw new PeftAdapterException(where, "λ tensors mix dtypes " + lambdaDtype + " and " + t.dtype());
            }
            lambdaDtype = t.dtype();
            (lambda.isB() ? bs : ds).put(lambda.site(), t.toFloats());
        }
        TreeMap<VeraSite, VeraLambdas> lambdas = new TreeMap<>();
        for (VeraSite site : bs.keySet()) {
            if (!ds.containsKey(site)) {
                throw new PeftAdapterException(where, "tensor '" + PeftTensorNames.lambdaD(site) + "' is missing");
            }
        }
        for (VeraSite site : ds.keySet()) {
            if (!bs.containsKey(site)) {
                throw new PeftAdapterException(where, "tensor '" + PeftTensorNames.lambdaB(site) + "' is missing");
            }
            lambdas.put(site, new VeraLambdas(bs.get(site), ds.get(site)));
        }
        if ((a == null) != (b == null)) {
            throw new PeftAdapterException(where, "only one of vera_A and vera_B is present");
        }
        Optional<Projections> projections = Optional.empty();
        SafetensorsDtype projectionDtype = SafetensorsDtype.F32;
        if (a != null) {
            projections = Optional.of(projections(config, a, b, where));
            projectionDtype = a.dtype();
        }
        try {
            PeftVeraAdapter.Storage storage = new PeftVeraAdapter.Storage(
                    lambdaDtype == null ? SafetensorsDtype.F32 : lambdaDtype, projectionDtype, st.metadata());
            return new PeftVeraAdapter(config, lambdas, projections, storage);
        } catch (IllegalArgumentException e) {
            throw new PeftAdapterException(where, e.getMessage(), e);
        }
    }

    private static void checkSite(PeftVeraConfig config, VeraSite site, String name, String where) {
        String module = VeraTarget.peftModulePath(site);
        if (!config.targetsModule(module)) {
            throw new PeftAdapterException(where, "tensor '" + name + "' belongs to " + module
                    + ", which target_modules does not select");
        }
        if (!config.layersToTransform().isEmpty() && !config.layersToTransform().contains(site.layer())) {
            throw new PeftAdapterException(where, "tensor '" + name + "' is in layer " + site.layer()
                    + ", which layers_to_transform " + config.layersToTransform() + " excludes");
        }
    }

    private static Projections projections(PeftVeraConfig config, SafetensorsTensor a, SafetensorsTensor b, String where) {
        long[] as = a.shape();
        long[] bs = b.shape();
        if (as.length != 2 || as[0] != config.rank() || as[1] < 1 || as[1] > Integer.MAX_VALUE / config.rank()) {
            throw new PeftAdapterException(where, "vera_A has shape " + Arrays.toString(as) + ", expected [r=" + config.rank() + ", in_max]");
        }
        if (bs.length != 2 || bs[1] != config.rank() || bs[0] < 1 || bs[0] > Integer.MAX_VALUE / config.rank()) {
            throw new PeftAdapterException(where, "vera_B has shape " + Arrays.toString(bs) + ", expected [out_max, r=" + config.rank() + "]");
        }
        if (!a.dtype().isFloat() || a.dtype() != b.dtype()) {
            throw new PeftAdapterException(where, "vera_A/vera_B have dtypes " + a.dtype() + "/" + b.dtype()
                    + ", expected one floating-point type");
        }
        return Projections.of(config.rank(), (int) as[1], (int) bs[0], a.toFloats(), b.toFloats());
    }
}
