package dev.vera4j.gguf.types;

import dev.vera4j.gguf.GgmlType;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The codec for each supported {@link GgmlType}.
 *
 * <p>Decoding: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS.
 * Encoding ({@link TensorCodec#canQuantize()}): all of them, with the arithmetic of ggml's quantizers without
 * importance weights (byte-identical output).
 * {@link TensorCodec#dequantize} uses the Vector API for every type (F32 is a bulk copy);
 * {@link TensorCodec#dequantizeReference} is the scalar code.
 *
 * <pre>{@code
 * GgufTensor t = file.tensor("blk.0.attn_q.weight");
 * float[] row = new float[t.cols()];
 * Codecs.of(t.type()).dequantize(t.data(), 0, row, 0, row.length);
 * }</pre>
 */
public final class Codecs {
    private static final Map<GgmlType, TensorCodec> CODECS = build();

    private Codecs() {}

    /**
     * The codec for {@code type}.
     *
     * @throws IllegalArgumentException if the type has no codec (for example the IQ2/IQ3/IQ1 families)
     */
    public static TensorCodec of(GgmlType type) {
        Objects.requireNonNull(type, "type");
        TensorCodec codec = CODECS.get(type);
        if (codec == null) {
            throw new IllegalArgumentException("tensor type " + type + " is not supported; supported types: "
                    + CODECS.keySet());
        }
        return codec;
    }

    /** Whether {@link #of} has a codec for {@code type}. */
    public static boolean supports(GgmlType type) { return CODECS.containsKey(type); }

    /** The types {@link #of} accepts. */
    public static Set<GgmlType> supportedTypes() { return CODECS.keySet(); }

    private static Map<GgmlType, TensorCodec> build() {
        Map<GgmlType, TensorCodec> m = new EnumMap<>(GgmlType.class);
        for (BlockCodec c : new BlockCodec[] {
                new F32Codec(), new F16Codec(), new BF16Codec(), new Q8_0(), new Q4_0(), new Q4_1(), new Q5_0(),
                new Q5_1(), new Q2_K(), new Q3_K(), new Q4_K(), new Q5_K(), new Q6_K(), new IQ4_NL(), new IQ4_XS()}) {
            m.put(c.type(), c);
        }
        return Collections.unmodifiableMap(m);
    }
}
