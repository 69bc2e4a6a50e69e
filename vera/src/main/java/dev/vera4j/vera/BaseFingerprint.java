package dev.vera4j.vera;

import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.gguf.GgufArray;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufMetadata;
import dev.vera4j.gguf.GgufTensor;
import dev.vera4j.gguf.GgufValue;
import dev.vera4j.gguf.GgufWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.TreeMap;

/**
 * The identity of the base model an adapter was made for: architecture, the dimensions adapter vectors depend on,
 * and a cheap fingerprint of the file, so that applying an adapter to another model is refused with a clear message.
 *
 * <p>The fingerprint is the first 16 bytes (hex) of a SHA-256 over every metadata entry except {@code general.*}
 * (names, URLs and descriptions do not change the weights) and, per tensor in name order, its name, type, shape and
 * three 64-byte samples of its data (start, middle, end). Reading a few kilobytes of a multi-gigabyte model is
 * instantaneous, yet any re-quantization, fine-tune or merge changes it.
 *
 * <pre>{@code
 * BaseFingerprint fp = BaseFingerprint.of(Path.of("llama-1b.gguf"));
 * adapterFile.base().requireSameModel(fp, "my-adapter.gguf");   // throws if the adapter was made for another base
 * }</pre>
 */
public record BaseFingerprint(String architecture, int blockCount, int dim, int feedForwardLength, int headCount,
                              int headCountKv, int headDim, int vocabSize, int experts, int expertFeedForwardLength,
                              int sharedFeedForwardLength, String hash) {
    private static final int SAMPLE = 64;

    /** A dense model's identity (no experts). */
    public BaseFingerprint(String architecture, int blockCount, int dim, int feedForwardLength, int headCount,
                           int headCountKv, int headDim, int vocabSize, String hash) {
        this(architecture, blockCount, dim, feedForwardLength, headCount, headCountKv, headDim, vocabSize, 0, 0, 0, hash);
    }

    /** Reads {@code path} (mapped, only the samples touched). */
    public static BaseFingerprint of(Path path) {
        try (GgufFile f = GgufFile.open(path)) {
            return of(f);
        }
    }

    /** Fingerprints an open model file. */
    public static BaseFingerprint of(GgufFile file) {
        ModelConfig c = ModelConfig.fromMetadata(file.metadata());
        MessageDigest md = sha256();
        GgufMetadata m = file.metadata();
        for (String key : new TreeMap<>(m.asMap()).keySet()) {
            if (key.startsWith("general.")) continue;
            update(md, key);
            updateValue(md, m.get(key));
        }
        for (GgufTensor t : new TreeMap<>(file.tensors()).values()) {
            update(md, t.name());
            update(md, t.type().name());
            for (long d : t.shape()) update(md, Long.toString(d));
            MemorySegment data = t.data();
            long size = data.byteSize();
            for (long start : new long[] {0, size / 2, size - SAMPLE}) {
                long from = Math.max(0, Math.min(start, size - SAMPLE));
                long len = Math.min(SAMPLE, size);
                md.update(data.asSlice(from, len).toArray(ValueLayout.JAVA_BYTE));
            }
        }
        String hash = HexFormat.of().formatHex(md.digest(), 0, 16);
        return new BaseFingerprint(c.architecture(), c.blockCount(), c.dim(), c.feedForwardLength(), c.headCount(),
                c.headCountKv(), c.headDim(), c.vocabSize(), c.moe() ? c.experts().count() : 0,
                c.moe() ? c.experts().feedForwardLength() : 0, c.moe() ? c.experts().sharedFeedForwardLength() : 0, hash);
    }

    /** Whether the model stores q/k/v and gate/up as fused tensors (Phi-3), whose PEFT modules are {@code qkv_proj} and {@code gate_up_proj}. */
    public boolean fused() { return architecture.equals("phi3"); }

    /** Whether expert modules are named as Mixtral's ({@code block_sparse_moe.experts.E.w1}: {@link VeraTarget#W1} ...) rather than Qwen-MoE's. */
    public boolean mixtralExperts() { return architecture.equals("llama") || architecture.equals("mistral"); }

    /**
     * Whether this model has {@code target} as a module: a fused model has {@code qkv} and {@code gate_up} instead of
     * their parts, a mixture of experts has experts (and a shared one, if any) instead of a dense FFN.
     */
    public boolean has(VeraTarget target) {
        return switch (target) {
            case Q, K, V -> !fused();
            case O -> true;
            case GATE, UP -> !fused() && experts == 0;
            case DOWN -> experts == 0;
            case QKV, GATE_UP -> fused();
            case GATE_EXP, UP_EXP, DOWN_EXP -> experts > 0 && !mixtralExperts();
            case W1, W3, W2 -> experts > 0 && mixtralExperts();
            case GATE_SHEXP, UP_SHEXP, DOWN_SHEXP -> sharedFeedForwardLength > 0;
        };
    }

    /** Every target this model has ({@link #has}). */
    public java.util.EnumSet<VeraTarget> targets() {
        java.util.EnumSet<VeraTarget> all = java.util.EnumSet.noneOf(VeraTarget.class);
        for (VeraTarget t : VeraTarget.values()) if (has(t)) all.add(t);
        return all;
    }

    /** Experts per layer that {@code target} has sites for: the expert count for an expert target, else 1. */
    public int sitesPerLayer(VeraTarget target) { return target.expert() ? experts : 1; }

    /**
     * The targets of a {@link #has} check as a one-line error, e.g. for {@code --targets q} on Phi-3.
     *
     * @throws IllegalArgumentException naming the model's targets when it lacks one of {@code targets}
     */
    public void requireTargets(java.util.Set<VeraTarget> targets) {
        for (VeraTarget t : targets) {
            if (!has(t)) {
                throw new IllegalArgumentException(architecture + " models have no " + t.shortName() + " module (their targets: "
                        + targets().stream().map(VeraTarget::shortName).toList() + ")");
            }
        }
    }

    /** Columns of {@code target}'s weight: the width of its input. */
    public int inputs(VeraTarget target) {
        return switch (target) {
            case Q, K, V, GATE, UP, QKV, GATE_UP, GATE_EXP, UP_EXP, GATE_SHEXP, UP_SHEXP, W1, W3 -> dim;
            case O -> headCount * headDim;
            case DOWN -> feedForwardLength;
            case DOWN_EXP, W2 -> expertFeedForwardLength;
            case DOWN_SHEXP -> sharedFeedForwardLength;
        };
    }

    /** Rows of {@code target}'s weight: the width of its output. */
    public int outputs(VeraTarget target) {
        return switch (target) {
            case Q -> headCount * headDim;
            case K, V -> headCountKv * headDim;
            case O, DOWN, DOWN_EXP, DOWN_SHEXP, W2 -> dim;
            case GATE, UP -> feedForwardLength;
            case QKV -> (headCount + 2 * headCountKv) * headDim;
            case GATE_UP -> 2 * feedForwardLength;
            case GATE_EXP, UP_EXP, W1, W3 -> expertFeedForwardLength;
            case GATE_SHEXP, UP_SHEXP -> sharedFeedForwardLength;
        };
    }

    /**
     * PEFT's {@code _find_dim}: the element-wise largest {@code (in, out)} over the adapted targets, which sizes the
     * shared projections ({@code A [r, in_max]}, {@code B [out_max, r]}) and so decides their random values.
     */
    public int[] projectionDims(java.util.Set<VeraTarget> targets) {
        int in = 0, out = 0;
        for (VeraTarget t : targets) {
            in = Math.max(in, inputs(t));
            out = Math.max(out, outputs(t));
        }
        return new int[] {in, out};
    }

    /** The configuration values this identity holds, compared with another model's. */
    public boolean sameShape(BaseFingerprint o) {
        return architecture.equals(o.architecture) && blockCount == o.blockCount && dim == o.dim
                && feedForwardLength == o.feedForwardLength && headCount == o.headCount
                && headCountKv == o.headCountKv && headDim == o.headDim && vocabSize == o.vocabSize && experts == o.experts
                && expertFeedForwardLength == o.expertFeedForwardLength && sharedFeedForwardLength == o.sharedFeedForwardLength;
    }

    /**
     * Checks that {@code actual} is the model this adapter was made for.
     *
     * @param ignoreHash accept a model of the same shape whose fingerprint differs (a re-quantized copy, say)
     * @throws IllegalArgumentException naming both models when they differ
     */
    public void requireSameModel(BaseFingerprint actual, String adapterName, boolean ignoreHash) {
        if (!sameShape(actual)) {
            throw new IllegalArgumentException("adapter " + adapterName + " was made for a different base model: it expects "
                    + describe() + ", the model is " + actual.describe());
        }
        if (!ignoreHash && !hash.equals(actual.hash)) {
            throw new IllegalArgumentException("adapter " + adapterName + " was made for a base model with fingerprint "
                    + hash + " but this model's is " + actual.hash
                    + " (same shape, different weights or metadata; e.g. another quantization or a merged model)");
        }
    }

    /** A one-line summary, e.g. {@code llama, 16 layers, dim 2048, ffn 8192, 32/8 heads of 64, vocab 128256 [fp 1a2b...]}. */
    public String describe() {
        return architecture + ", " + blockCount + " layers, dim " + dim + ", ffn " + feedForwardLength + ", "
                + headCount + "/" + headCountKv + " heads of " + headDim + ", vocab " + vocabSize
                + (experts > 0 ? ", " + experts + " experts of " + expertFeedForwardLength
                        + (sharedFeedForwardLength > 0 ? " + shared " + sharedFeedForwardLength : "") : "")
                + " [fingerprint " + hash + "]";
    }

    /**
     * Records this identity as metadata under {@code prefix} (e.g. {@code vera.base.}): architecture, the dimensions
     * and the fingerprint, as adapter files carry it; {@link #readFrom} reads it back.
     */
    public void writeTo(GgufWriter w, String prefix) {
        w.put(prefix + "architecture", GgufValue.ofString(architecture));
        w.put(prefix + "block_count", GgufValue.ofUInt32(blockCount));
        w.put(prefix + "embedding_length", GgufValue.ofUInt32(dim));
        w.put(prefix + "feed_forward_length", GgufValue.ofUInt32(feedForwardLength));
        w.put(prefix + "head_count", GgufValue.ofUInt32(headCount));
        w.put(prefix + "head_count_kv", GgufValue.ofUInt32(headCountKv));
        w.put(prefix + "head_dim", GgufValue.ofUInt32(headDim));
        w.put(prefix + "vocab_size", GgufValue.ofUInt32(vocabSize));
        if (experts > 0) {
            w.put(prefix + "expert_count", GgufValue.ofUInt32(experts));
            w.put(prefix + "expert_feed_forward_length", GgufValue.ofUInt32(expertFeedForwardLength));
            w.put(prefix + "expert_shared_feed_forward_length", GgufValue.ofUInt32(sharedFeedForwardLength));
        }
        w.put(prefix + "fingerprint", GgufValue.ofString(hash));
    }

    /**
     * The identity {@link #writeTo} recorded under {@code prefix}.
     *
     * @throws RuntimeException if a key is missing
     */
    public static BaseFingerprint readFrom(GgufMetadata m, String prefix) {
        return new BaseFingerprint(m.getString(prefix + "architecture"), m.getInt(prefix + "block_count"),
                m.getInt(prefix + "embedding_length"), m.getInt(prefix + "feed_forward_length"), m.getInt(prefix + "head_count"),
                m.getInt(prefix + "head_count_kv"), m.getInt(prefix + "head_dim"), m.getInt(prefix + "vocab_size"),
                m.getIntOr(prefix + "expert_count", 0), m.getIntOr(prefix + "expert_feed_forward_length", 0),
                m.getIntOr(prefix + "expert_shared_feed_forward_length", 0), m.getString(prefix + "fingerprint"));
    }

    private static void updateValue(MessageDigest md, GgufValue v) {
        update(md, v.type().name());
        if (v.value() instanceof GgufArray a) {
            update(md, a.elementType().name() + "[" + a.length() + "]");
            for (int i = 0; i < a.length(); i++) {
                if (a.elements() instanceof GgufArray[] nested) updateValue(md, GgufValue.ofArray(nested[i]));
                else update(md, a.elementText(i));
            }
        } else {
            update(md, String.valueOf(v.value()));
        }
    }

    private static void update(MessageDigest md, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        md.update((byte) (b.length >>> 24));
        md.update((byte) (b.length >>> 16));
        md.update((byte) (b.length >>> 8));
        md.update((byte) b.length);
        md.update(b);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
