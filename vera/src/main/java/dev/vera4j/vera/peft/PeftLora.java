package dev.vera4j.vera.peft;

import dev.vera4j.engine.json.Json;
import dev.vera4j.engine.json.JsonException;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.QkPermutation;
import dev.vera4j.vera.VeraSite;
import dev.vera4j.vera.VeraTarget;
import dev.vera4j.vera.lora.LoraFile;
import dev.vera4j.vera.lora.LoraMatrices;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A Hugging Face PEFT LoRA adapter directory ({@code adapter_config.json} with {@code peft_type = LORA}, {@code r},
 * {@code lora_alpha}, {@code use_rslora}, {@code rank_pattern}, {@code alpha_pattern}; {@code adapter_model.safetensors}
 * with {@code base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight} {@code [r, in]} and
 * {@code .lora_B.weight} {@code [out, r]}), in Hugging Face's row order. Each layer's scale is PEFT's:
 * {@code alpha / r}, or {@code alpha / √r} with rsLoRA, where a {@code rank_pattern} or {@code alpha_pattern} key
 * matching the module's path ({@code (.*\.)?(KEY)$}, as PEFT matches) overrides {@code r} or {@code lora_alpha}.
 * {@link #toLoraFile} brings it into a base's row order (q/k rows of {@code llama} GGUFs permuted as llama.cpp's
 * converter permutes the base weights), {@link #of} and {@link #write} go back.
 *
 * <pre>{@code
 * LoraFile lora = PeftLora.read(dir).toLoraFile(BaseFingerprint.of(modelPath));
 * PeftLora.of(lora, BaseFingerprint.of(modelPath)).write(Path.of("exported"));
 * }</pre>
 *
 * @param config the parsed {@code adapter_config.json}
 * @param sites  every adapted layer, Hugging Face row order
 */
public record PeftLora(Map<String, Object> config, SortedMap<VeraSite, LoraMatrices> sites) {
    private static final Pattern NAME = Pattern.compile("base_model\\.model\\.model\\.layers\\.(0|[1-9][0-9]{0,8})\\."
            + "(self_attn|mlp)\\.([a-z0-9_]+)\\.lora_([AB])(?:\\.default)?\\.weight");

    public PeftLora {
        config = Collections.unmodifiableMap(new LinkedHashMap<>(config));
        sites = Collections.unmodifiableSortedMap(new TreeMap<>(sites));
    }

    /** Whether {@code dir}'s {@code adapter_config.json} says {@code peft_type = LORA}. */
    public static boolean isLora(Path dir) {
        Path config = dir.resolve(PeftImporter.CONFIG_FILE);
        if (!Files.isRegularFile(config)) return false;
        return readConfig(config) instanceof Map<?, ?> m && "LORA".equals(m.get("peft_type"));
    }

    /**
     * Reads and validates the adapter in {@code dir}.
     *
     * @throws PeftAdapterException if files are missing or it is not a LoRA adapter vera4j can run
     */
    public static PeftLora read(Path dir) {
        String where = dir.toString();
        Path configPath = dir.resolve(PeftImporter.CONFIG_FILE), weights = dir.resolve(PeftImporter.WEIGHTS_FILE);
        if (!Files.isRegularFile(configPath)) throw new PeftAdapterException(where, "no " + PeftImporter.CONFIG_FILE);
        if (!Files.isRegularFile(weights)) throw new PeftAdapterException(where, "no " + PeftImporter.WEIGHTS_FILE);
        if (!(readConfig(configPath) instanceof Map<?, ?> raw)) throw new PeftAdapterException(where, "adapter config is not a JSON object");
        Map<String, Object> config = new LinkedHashMap<>();
        raw.forEach((k, v) -> config.put(String.valueOf(k), v));
        if (!"LORA".equals(config.get("peft_type"))) throw new PeftAdapterException(where, "not a LoRA adapter: peft_type is " + config.get("peft_type"));
        if (Boolean.TRUE.equals(config.get("use_dora"))) throw new PeftAdapterException(where, "DoRA (use_dora=true) is not supported");
        if (Boolean.TRUE.equals(config.get("fan_in_fan_out"))) throw new PeftAdapterException(where, "fan_in_fan_out=true (Conv1D weights) is not supported");
        int r = (int) number(config, "r", 8, where);
        double alpha = number(config, "lora_alpha", 8, where);
        boolean rslora = Boolean.TRUE.equals(config.get("use_rslora"));
        Map<String, Object> rankPattern = map(config, "rank_pattern", where), alphaPattern = map(config, "alpha_pattern", where);
        Map<VeraSite, SafetensorsTensor[]> pairs = new HashMap<>();
        try (Safetensors st = Safetensors.open(weights)) {
            for (SafetensorsTensor t : st.tensors().values()) {
                Matcher m = NAME.matcher(t.name());
                Optional<VeraTarget> target = m.matches() ? VeraTarget.fromPeftPath(m.group(2), m.group(3)) : Optional.empty();
                if (target.isEmpty()) {
                    throw new PeftAdapterException(where, "unexpected tensor '" + t.name() + "': only lora_A/lora_B of the blocks' "
                            + "q/k/v/o/qkv/gate/up/down/gate_up_proj are supported");
                }
                if (t.shape().length != 2 || !t.dtype().isFloat()) {
                    throw new PeftAdapterException(where, "tensor '" + t.name() + "' is " + t + ", expected a floating-point matrix");
                }
                VeraSite site = new VeraSite(Integer.parseInt(m.group(1)), target.get());
                pairs.computeIfAbsent(site, k -> new SafetensorsTensor[2])[m.group(4).equals("A") ? 0 : 1] = t;
            }
            TreeMap<VeraSite, LoraMatrices> sites = new TreeMap<>();
            for (Map.Entry<VeraSite, SafetensorsTensor[]> e : pairs.entrySet()) {
                VeraSite site = e.getKey();
                SafetensorsTensor a = e.getValue()[0], b = e.getValue()[1];
                String module = VeraTarget.peftModulePath(site);
                if (a == null || b == null) throw new PeftAdapterException(where, module + " has only one of lora_A and lora_B");
                long[] as = a.shape(), bs = b.shape();
                if (as[0] != bs[1]) throw new PeftAdapterException(where, module + ": lora_A " + Arrays.toString(as) + " and lora_B " + Arrays.toString(bs) + " do not fit");
                int rank = Math.toIntExact(as[0]);
                int siteR = pattern(rankPattern, module).map(v -> (int) toNumber(v, "rank_pattern", where)).orElse(r);
                double siteAlpha = pattern(alphaPattern, module).map(v -> toNumber(v, "alpha_pattern", where)).orElse(alpha);
                if (siteR != rank) throw new PeftAdapterException(where, module + " has rank " + rank + " but the config says r = " + siteR);
                float scale = (float) (rslora ? siteAlpha / Math.sqrt(siteR) : siteAlpha / siteR);
                sites.put(site, new LoraMatrices(site, rank, Math.toIntExact(as[1]), Math.toIntExact(bs[0]), a.toFloats(), b.toFloats(), scale));
            }
            if (sites.isEmpty()) throw new PeftAdapterException(where, "no lora_A/lora_B tensors");
            return new PeftLora(config, sites);
        } catch (IllegalArgumentException e) {
            throw new PeftAdapterException(where, e.getMessage(), e);
        }
    }

    /**
     * This adapter for {@code base}: q/k rows of B in the base's order, checked against its shapes.
     *
     * @throws IllegalArgumentException if a layer does not fit {@code base}
     */
    public LoraFile toLoraFile(BaseFingerprint base) {
        LoraFile hf = new LoraFile(base.architecture(), Optional.empty(), sites);
        hf.requireFits(base, "PEFT LoRA", true);
        TreeMap<VeraSite, LoraMatrices> out = new TreeMap<>();
        boolean permute = QkPermutation.appliesTo(base.architecture());
        for (LoraMatrices m : sites.values()) {
            VeraTarget t = m.site().target();
            float[] b = permute && (t == VeraTarget.Q || t == VeraTarget.K) ? QkPermutation.rowsToGguf(m.b(), m.out(), m.rank(), base.headDim()) : m.b();
            out.put(m.site(), new LoraMatrices(m.site(), m.rank(), m.in(), m.out(), m.a(), b, m.scale()));
        }
        return new LoraFile(base.architecture(), Optional.of(base), out);
    }

    /**
     * The PEFT form of {@code lora} (rows in {@code base}'s order): B's q/k rows back in Hugging Face order, one
     * {@code r} and {@code lora_alpha} with {@code rank_pattern}/{@code alpha_pattern} entries for layers that differ.
     */
    public static PeftLora of(LoraFile lora, BaseFingerprint base) { return of(lora, base, 0); }

    /** As {@link #of(LoraFile, BaseFingerprint)}, with the {@code lora_dropout} it was trained with. */
    public static PeftLora of(LoraFile lora, BaseFingerprint base, double dropout) {
        boolean permute = QkPermutation.appliesTo(lora.architecture());
        LoraMatrices first = lora.sites().values().iterator().next();
        int r = first.rank();
        double alpha = (double) first.scale() * r;
        TreeMap<VeraSite, LoraMatrices> out = new TreeMap<>();
        Map<String, Object> rankPattern = new TreeMap<>(), alphaPattern = new TreeMap<>();
        List<String> modules = new ArrayList<>();
        for (LoraMatrices m : lora.sites().values()) {
            VeraTarget t = m.site().target();
            if (!modules.contains(t.peftName())) modules.add(t.peftName());
            String module = VeraTarget.peftModulePath(m.site());
            if (m.rank() != r) rankPattern.put(module, (long) m.rank());
            float scale = (float) (alpha / m.rank());
            if (scale != m.scale()) alphaPattern.put(module, (double) m.scale() * m.rank());
            float[] b = permute && (t == VeraTarget.Q || t == VeraTarget.K) ? QkPermutation.rowsToHuggingFace(m.b(), m.out(), m.rank(), base.headDim()) : m.b();
            out.put(m.site(), new LoraMatrices(m.site(), m.rank(), m.in(), m.out(), m.a(), b, m.scale()));
        }
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("alpha_pattern", alphaPattern);
        config.put("base_model_name_or_path", lora.base().map(b -> b.architecture() + " " + b.hash()).orElse(lora.architecture()));
        config.put("bias", "none");
        config.put("fan_in_fan_out", false);
        config.put("inference_mode", true);
        config.put("init_lora_weights", true);
        config.put("layers_to_transform", null);
        config.put("lora_alpha", alpha);
        config.put("lora_dropout", dropout);
        config.put("modules_to_save", null);
        config.put("peft_type", "LORA");
        config.put("r", (long) r);
        config.put("rank_pattern", rankPattern);
        config.put("target_modules", modules);
        config.put("task_type", "CAUSAL_LM");
        config.put("use_dora", false);
        config.put("use_rslora", false);
        return new PeftLora(config, out);
    }

    /** Writes both files into {@code dir} (created if needed), each to a temporary file renamed into place. */
    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        for (LoraMatrices m : sites.values()) {
            String prefix = "base_model.model." + VeraTarget.peftModulePath(m.site());
            w.addFloats(prefix + ".lora_A.weight", SafetensorsDtype.F32, new long[] {m.rank(), m.in()}, m.a());
            w.addFloats(prefix + ".lora_B.weight", SafetensorsDtype.F32, new long[] {m.out(), m.rank()}, m.b());
        }
        w.write(dir.resolve(PeftImporter.WEIGHTS_FILE));
        PeftExporter.writeAtomically(dir.resolve(PeftImporter.CONFIG_FILE),
                PeftExporter.pythonJsonDumps(config).getBytes(StandardCharsets.US_ASCII));
    }

    /** Trainable parameters. */
    public long parameterCount() {
        long n = 0;
        for (LoraMatrices m : sites.values()) n += m.parameterCount();
        return n;
    }

    private static Object readConfig(Path path) {
        try {
            return Json.parse(Files.readString(path));
        } catch (IOException e) {
            throw new PeftAdapterException(path.toString(), "cannot read: " + e.getMessage(), e);
        } catch (JsonException e) {
            throw new PeftAdapterException(path.toString(), "invalid JSON: " + e.getMessage(), e);
        }
    }

    private static Optional<Object> pattern(Map<String, Object> patterns, String module) {
        for (Map.Entry<String, Object> e : patterns.entrySet()) {
            try {
                if (e.getKey().equals(module) || Pattern.matches("(.*\\.)?(" + e.getKey() + ")", module)) return Optional.of(e.getValue());
            } catch (PatternSyntaxException x) {
                throw new PeftAdapterException("adapter_config.json", "pattern '" + e.getKey() + "' does not compile: " + x.getDescription(), x);
            }
        }
        return Optional.empty();
    }

    private static Map<String, Object> map(Map<String, Object> config, String key, String where) {
        Object v = config.get(key);
        if (v == null) return Map.of();
        if (!(v instanceof Map<?, ?> m)) throw new PeftAdapterException(where, key + " must be an object");
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, x) -> out.put(String.valueOf(k), x));
        return out;
    }

    private static double number(Map<String, Object> config, String key, double fallback, String where) {
        Object v = config.get(key);
        return v == null ? fallback : toNumber(v, key, where);
    }

    private static double toNumber(Object v, String key, String where) {
        if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue()) || n.doubleValue() <= 0) {
            throw new PeftAdapterException(where, key + " must be a positive number, got " + v);
        }
        return n.doubleValue();
    }
}
