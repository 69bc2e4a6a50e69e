package dev.vera4j.cuda;

import dev.vera4j.engine.model.ModelConfigException;
import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.types.Codecs;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;

/**
 * The one list of weight types the kernels read as they are stored, with the suffix of their kernels' names
 * ({@code matvec_q4_k}, {@code gemm_q4_k}, {@code embed_q4_k}). Every other type the codecs decode is converted once,
 * on upload, to F16 (F32 for a matrix with a value beyond F16's range): a rounding of 2⁻¹¹ relative, well below any
 * such type's own quantization step.
 *
 * <pre>{@code
 * DeviceTypes.uploadType(GgmlType.Q4_K);   // Q4_K: read as stored
 * DeviceTypes.uploadType(GgmlType.Q5_K);   // F16: converted on upload
 * }</pre>
 */
public final class DeviceTypes {
    private static final Map<GgmlType, String> NATIVE = build();

    private DeviceTypes() {}

    private static Map<GgmlType, String> build() {
        Map<GgmlType, String> m = new EnumMap<>(GgmlType.class);
        m.put(GgmlType.F32, "f32");
        m.put(GgmlType.F16, "f16");
        m.put(GgmlType.BF16, "bf16");
        m.put(GgmlType.Q8_0, "q8_0");
        m.put(GgmlType.Q4_0, "q4_0");
        m.put(GgmlType.Q4_K, "q4_k");
        m.put(GgmlType.Q6_K, "q6_k");
        return Collections.unmodifiableMap(m);
    }

    /** The types with kernels of their own. */
    public static Set<GgmlType> nativeTypes() { return NATIVE.keySet(); }

    public static boolean isNative(GgmlType type) { return NATIVE.containsKey(type); }

    /** The kernel-name suffix of a native type. */
    static String suffix(GgmlType type) {
        String s = NATIVE.get(type);
        if (s == null) throw new IllegalArgumentException(type + " has no kernels (convert it with DeviceTypes.uploadType)");
        return s;
    }

    /**
     * The type {@code type}'s matrices have on the device: itself when native, else F16.
     *
     * @throws ModelConfigException if no codec decodes {@code type} (so it cannot be converted either)
     */
    public static GgmlType uploadType(GgmlType type) {
        if (isNative(type)) return type;
        if (!Codecs.supports(type)) {
            throw new ModelConfigException("tensor type " + type + " cannot run on the GPU (kernels for " + NATIVE.keySet()
                    + "; converted on upload: " + Codecs.supportedTypes().stream().filter(t -> !isNative(t)).toList() + ")");
        }
        return GgmlType.F16;
    }
}
