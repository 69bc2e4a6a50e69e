package dev.vera4j.vera.peft;

import dev.vera4j.vera.VeraConfig;
import dev.vera4j.vera.VeraTarget;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The {@code adapter_config.json} of a PEFT VeRA adapter: the whole JSON object, kept as read so that writing it back
 * loses nothing, plus validated typed views of the fields that matter here.
 *
 * <pre>{@code
 * PeftVeraConfig c = PeftVeraConfig.fromJson(Json.parse(Files.readString(dir.resolve("adapter_config.json"))), "dir");
 * c.rank();                  // "r"
 * c.projectionPrngKey();     // "projection_prng_key"
 * VeraConfig engine = c.toVeraConfig(EnumSet.of(VeraTarget.Q, VeraTarget.V), true);
 * }</pre>
 */
public final class PeftVeraConfig {
    private final Map<String, Object> json;
    private final int rank;
    private final long projectionPrngKey;
    private final boolean saveProjection;
    private final double veraDropout;
    private final double dInitial;
    private final List<String> targetModules;
    private final String targetModulesRegex;
    private final Pattern targetPattern;
    private final List<Integer> layersToTransform;

    private PeftVeraConfig(Map<String, Object> json, String where) {
        this.json = json;
        Object type = json.get("peft_type");
        if (!"VERA".equals(type)) {
            throw new PeftAdapterException(where, "not a VeRA adapter: peft_type is " + quoted(type));
        }
        this.rank = (int) integer(json, "r", null, 1, Integer.MAX_VALUE, where);
        this.projectionPrngKey = integer(json, "projection_prng_key", 0L, Long.MIN_VALUE, Long.MAX_VALUE, where);
        this.saveProjection = bool(json, "save_projection", true, where);
        this.veraDropout = number(json, "vera_dropout", 0.0, where);
        this.dInitial = number(json, "d_initial", 0.1, where);
        if (veraDropout < 0 || veraDropout >= 1) {
            throw new PeftAdapterException(where, "vera_dropout must lie in [0, 1), got " + veraDropout);
        }
        if (bool(json, "fan_in_fan_out", false, where)) {
            throw new PeftAdapterException(where, "fan_in_fan_out=true (Conv1D weights) is not supported for LLaMA models");
        }
        Object targets = json.get("target_modules");
        if (targets == null) {
            this.targetModules = List.of();
            this.targetModulesRegex = null;
        } else if (targets instanceof String regex) {
            this.targetModules = List.of();
            this.targetModulesRegex = regex;
        } else if (targets instanceof List<?> list) {
            List<String> names = new ArrayList<>();
            for (Object o : list) {
                if (!(o instanceof String s)) {
                    throw new PeftAdapterException(where, "target_modules contains " + quoted(o) + ", not a module name");
                }
                names.add(s);
            }
            this.targetModules = List.copyOf(names);
            this.targetModulesRegex = null;
        } else {
            throw new PeftAdapterException(where, "target_modules must be a list of names or a regex string");
        }
        try {
            this.targetPattern = targetModulesRegex == null ? null : Pattern.compile(targetModulesRegex);
        } catch (PatternSyntaxException e) {
            throw new PeftAdapterException(where, "target_modules regex does not compile: " + e.getDescription(), e);
        }
        Object layers = json.get("layers_to_transform");
        List<Integer> layerList = new ArrayList<>();
        if (layers instanceof Long l) {
            layerList.add(layerIndex(l, where));
        } else if (layers instanceof List<?> list) {
            for (Object o : list) {
                if (!(o instanceof Long l)) {
                    throw new PeftAdapterException(where, "layers_to_transform contains " + quoted(o) + ", not a layer index");
                }
                layerList.add(layerIndex(l, where));
            }
        } else if (layers != null) {
            throw new PeftAdapterException(where, "layers_to_transform must be null, an integer or a list of integers");
        }
        this.layersToTransform = List.copyOf(layerList);
    }

    /**
     * Validates a parsed {@code adapter_config.json}; the map is copied.
     *
     * @param where names the file in error messages
     * @throws PeftAdapterException if it is not a usable VeRA config
     */
    public static PeftVeraConfig fromJson(Object parsed, String where) {
        if (!(parsed instanceof Map<?, ?> map)) {
            throw new PeftAdapterException(where, "adapter config is not a JSON object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> copy = (Map<String, Object>) deepCopy(map);
        return new PeftVeraConfig(copy, where);
    }

    /**
     * The config PEFT's {@code VeraConfig} would save for {@code config} on a causal LM (keys as {@code asdict} gives
     * them, PEFT defaults for the rest; {@code peft_version} is left out since no PEFT wrote it).
     */
    public static PeftVeraConfig of(VeraConfig config, String baseModelNameOrPath, boolean saveProjection) {
        Map<String, Object> m = new TreeMap<>();
        m.put("auto_mapping", null);
        m.put("base_model_name_or_path", baseModelNameOrPath);
        m.put("bias", "none");
        // the shortest decimal of the float, so 0.1f is written as PEFT writes 0.1 rather than 0.10000000149011612
        m.put("d_initial", Double.parseDouble(Float.toString(config.dInitial())));
        m.put("fan_in_fan_out", false);
        m.put("inference_mode", true);
        m.put("init_weights", true);
        m.put("layers_pattern", null);
        m.put("layers_to_transform", config.layers().isEmpty() ? null
                : config.layers().stream().map(Integer::longValue).toList());
        m.put("modules_to_save", null);
        m.put("peft_type", "VERA");
        m.put("projection_prng_key", config.seed());
        m.put("r", (long) config.rank());
        m.put("revision", null);
        m.put("save_projection", saveProjection);
        m.put("target_modules", targetModules(config));
        m.put("task_type", "CAUSAL_LM");
        m.put("vera_dropout", 0.0);
        return new PeftVeraConfig(new LinkedHashMap<>(m), "generated config");
    }

    /**
     * PEFT's {@code target_modules} for {@code config}'s targets: their module names, as PEFT users write them; or,
     * when an expert's or the shared expert's module is among them (whose names, {@code gate_proj} ..., other modules of
     * the model share), a regex of exactly their module paths — PEFT then ignores {@code layers_to_transform}, so the
     * regex names the layers too.
     */
    static Object targetModules(VeraConfig config) {
        boolean names = config.targets().stream().noneMatch(t -> t.expert() || t.name().endsWith("_SHEXP"));
        if (names) return config.targets().stream().map(VeraTarget::peftName).sorted().toList();
        String layers = config.layers().isEmpty() ? "\\d+"
                : "(?:" + String.join("|", config.layers().stream().map(String::valueOf).toList()) + ")";
        java.util.List<String> modules = new java.util.ArrayList<>();
        for (VeraTarget t : config.targets()) {
            String path = t.peftModulePath(0, 0).substring("model.layers.0.".length());
            modules.add(path.replace(".", "\\.").replace("experts\\.0\\.", "experts\\.\\d+\\."));
        }
        java.util.Collections.sort(modules);
        return "model\\.layers\\." + layers + "\\.(?:" + String.join("|", modules) + ")";
    }

    /** The whole config as read: a deep copy, in file order. */
    public Map<String, Object> json() {
        @SuppressWarnings("unchecked")
        Map<String, Object> copy = (Map<String, Object>) deepCopy(json);
        return copy;
    }

    /** {@code r}. */
    public int rank() { return rank; }

    /** {@code projection_prng_key} (default 0). */
    public long projectionPrngKey() { return projectionPrngKey; }

    /** {@code save_projection} (default true): whether {@code vera_A}/{@code vera_B} are in the tensor file. */
    public boolean saveProjection() { return saveProjection; }

    /** {@code vera_dropout} (default 0); matters for training only. */
    public double veraDropout() { return veraDropout; }

    /** {@code d_initial} (default 0.1). */
    public double dInitial() { return dInitial; }

    /** {@code target_modules} when it is a list of names; empty when it is a regex or absent. */
    public List<String> targetModules() { return targetModules; }

    /** {@code target_modules} when it is a regex string (matched against full module paths), else null. */
    public String targetModulesRegex() { return targetModulesRegex; }

    /** {@code layers_to_transform} as a list; empty means every layer. */
    public List<Integer> layersToTransform() { return layersToTransform; }

    /**
     * Whether PEFT would adapt the module at {@code modulePath} ({@code model.layers.3.self_attn.q_proj}) by name:
     * a regex must match the whole path, a listed name must equal it or end it after a dot
     * ({@code check_target_module_exists}); with no names at all every module counts. Layer selection is checked
     * separately.
     */
    public boolean targetsModule(String modulePath) {
        if (targetModulesRegex != null) {
            return targetPattern.matcher(modulePath).matches();
        }
        for (String name : targetModules) {
            if (modulePath.equals(name) || modulePath.endsWith("." + name)) {
                return true;
            }
        }
        return targetModules.isEmpty();
    }

    /** The engine's view: seed, rank, {@code d_initial}, the given adapted targets, layers and rounding. */
    public VeraConfig toVeraConfig(Set<VeraTarget> targets, boolean fusedMultiplyAdd) {
        return new VeraConfig(projectionPrngKey, rank, (float) dInitial, EnumSet.copyOf(targets), layersToTransform,
                fusedMultiplyAdd);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PeftVeraConfig c && json.equals(c.json);
    }

    @Override
    public int hashCode() { return json.hashCode(); }

    @Override
    public String toString() {
        return "PeftVeraConfig[r=" + rank + ", projection_prng_key=" + projectionPrngKey + ", targets="
                + (targetModulesRegex != null ? targetModulesRegex : targetModules) + "]";
    }

    private static int layerIndex(long l, String where) {
        if (l < 0 || l > Integer.MAX_VALUE) {
            throw new PeftAdapterException(where, "layers_to_transform holds invalid layer index " + l);
        }
        return (int) l;
    }

    private static long integer(Map<String, Object> m, String key, Long fallback, long min, long max, String where) {
        Object v = m.get(key);
        if (v == null && fallback != null) {
            return fallback;
        }
        if (!(v instanceof Long l)) {
            throw new PeftAdapterException(where, key + " must be an integer, got " + quoted(v));
        }
        if (l < min || l > max) {
            throw new PeftAdapterException(where, key + " = " + l + " is out of range [" + min + ", " + max + "]");
        }
        return l;
    }

    private static boolean bool(Map<String, Object> m, String key, boolean fallback, String where) {
        Object v = m.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Boolean b)) {
            throw new PeftAdapterException(where, key + " must be true or false, got " + quoted(v));
        }
        return b;
    }

    private static double number(Map<String, Object> m, String key, double fallback, String where) {
        Object v = m.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())) {
            throw new PeftAdapterException(where, key + " must be a finite number, got " + quoted(v));
        }
        return n.doubleValue();
    }

    private static String quoted(Object v) {
        return v instanceof String s ? "'" + s + "'" : String.valueOf(v);
    }

    private static Object deepCopy(Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> copy = new LinkedHashMap<>();
            m.forEach((k, x) -> copy.put(String.valueOf(k), deepCopy(x)));
            return Collections.unmodifiableMap(copy);
        }
        if (v instanceof List<?> l) {
            List<Object> copy = new ArrayList<>();
            l.forEach(x -> copy.add(deepCopy(x)));
            return Collections.unmodifiableList(copy);
        }
        return v;
    }
}
