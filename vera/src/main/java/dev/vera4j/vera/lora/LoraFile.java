package dev.vera4j.vera.lora;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufFormatException;
import dev.vera4j.gguf.GgufMetadata;
import dev.vera4j.gguf.GgufTensor;
import dev.vera4j.gguf.GgufValue;
import dev.vera4j.gguf.GgufWriter;
import dev.vera4j.gguf.types.Codecs;
import dev.vera4j.gguf.types.Fp16;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.VeraSite;
import dev.vera4j.vera.VeraTarget;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A LoRA adapter in llama.cpp's GGUF form, as {@code convert_lora_to_gguf.py} writes it and {@code llama-cli --lora}
 * reads it: {@code general.type = adapter}, {@code adapter.type = lora}, {@code adapter.lora.alpha}, and per adapted
 * weight the tensors {@code <weight name>.lora_a} ({@code [r, in]}) and {@code .lora_b} ({@code [out, r]}), q/k rows in
 * llama.cpp's order. llama.cpp's scale is {@code alpha / r} per tensor ({@code r} from its {@code lora_b}; 1 when alpha
 * is 0), times the user's weight.
 *
 * <p>Files written here also record the base model's identity ({@code vera.base.*}, as VeRA adapters do), so that a
 * wrong base is refused by fingerprint; files from llama.cpp's converter have none and are checked by architecture and
 * shapes only. Tensors of any type with a codec are read (the converter's default is F16); norms, which llama.cpp also
 * ignores, are skipped; LoRA on the token embedding or the output projection and on expert tensors is refused.
 *
 * <pre>{@code
 * LoraFile lora = LoraFile.read(Path.of("style-lora.gguf"));
 * lora.requireFits(BaseFingerprint.of(modelPath), "style-lora.gguf", false);
 * session.addHook(new LoraHook(lora, session.batchSize(), 0.5f, model.pool()));
 * }</pre>
 *
 * @param architecture the base's {@code general.architecture}
 * @param base         the base's identity when the file records it
 * @param sites        every adapted layer, in the base's row order
 */
public record LoraFile(String architecture, Optional<BaseFingerprint> base, SortedMap<VeraSite, LoraMatrices> sites) {
    /** GGUF keys. */
    public static final String TYPE = "general.type", ADAPTER_TYPE = "adapter.type", ARCH = "general.architecture",
            ALPHA = "adapter.lora.alpha", BASE = "vera.base.";
    /** The {@code lora_dropout} it was trained with (ours only; llama.cpp ignores it; absent: 0). */
    public static final String DROPOUT = "adapter.lora.dropout";
    private static final Pattern NAME = Pattern.compile("blk\\.(\\d+)\\.(\\w+)\\.weight\\.lora_([ab])");
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public LoraFile {
        if (architecture == null || architecture.isEmpty()) throw new IllegalArgumentException("LoRA adapter without an architecture");
        if (sites.isEmpty()) throw new IllegalArgumentException("the LoRA adapter adapts no layer");
        for (Map.Entry<VeraSite, LoraMatrices> e : sites.entrySet()) {
            if (!e.getKey().equals(e.getValue().site())) throw new IllegalArgumentException("LoRA site " + e.getKey() + " holds " + e.getValue().site());
            if (e.getKey().target().expert()) throw new IllegalArgumentException("LoRA on experts (" + e.getKey() + ") is not supported");
        }
        sites = Collections.unmodifiableSortedMap(new TreeMap<>(sites));
    }

    /** Trainable parameters: {@code r·(in + out)} summed over the adapted layers. */
    public long parameterCount() {
        long n = 0;
        for (LoraMatrices m : sites.values()) n += m.parameterCount();
        return n;
    }

    /**
     * Checks that {@code actual} can take this adapter: its recorded base (fingerprint, unless {@code ignoreHash}),
     * or else the architecture; and every adapted layer's shape.
     *
     * @throws IllegalArgumentException naming the adapter and the mismatch
     */
    public void requireFits(BaseFingerprint actual, String name, boolean ignoreHash) {
        if (base.isPresent()) {
            base.get().requireSameModel(actual, name, ignoreHash);
        } else if (!architecture.equals(actual.architecture())) {
            throw new IllegalArgumentException("adapter " + name + " is a LoRA for " + architecture + " models, the model is "
                    + actual.architecture());
        }
        for (LoraMatrices m : sites.values()) {
            VeraSite s = m.site();
            if (s.layer() >= actual.blockCount() || !actual.has(s.target())) {
                throw new IllegalArgumentException("adapter " + name + " adapts " + s + ", which the model (" + actual.describe() + ") does not have");
            }
            if (m.in() != actual.inputs(s.target()) || m.out() != actual.outputs(s.target())) {
                throw new IllegalArgumentException("adapter " + name + " was made for a different base model: " + s + " is "
                        + m.out() + " x " + m.in() + " in the adapter, " + actual.outputs(s.target()) + " x "
                        + actual.inputs(s.target()) + " in the model (" + actual.describe() + ")");
            }
        }
    }

    /** The GGUF tensor name of a site's A or B, e.g. {@code blk.3.attn_q.weight.lora_a}. */
    public static String tensorName(VeraSite site, boolean a) {
        return "blk." + site.layer() + "." + site.target().modelTensorPart() + ".weight.lora_" + (a ? "a" : "b");
    }

    /**
     * Writes the adapter atomically, readable by llama.cpp ({@code --lora}). One {@code adapter.lora.alpha} holds for
     * every tensor there, so a site whose {@code scale·r} differs from the first site's (rsLoRA, an
     * {@code alpha_pattern}) has the ratio folded into its B.
     *
     * @param type {@link GgmlType#F32} or {@link GgmlType#F16}
     */
    public void write(Path path, GgmlType type) throws IOException { write(path, type, 0); }

    /**
     * As {@link #write(Path, GgmlType)}, recording the dropout it was trained with ({@link #DROPOUT}, written when
     * not 0) for {@code adapter export}'s {@code lora_dropout}.
     */
    public void write(Path path, GgmlType type, double dropout) throws IOException {
        if (type != GgmlType.F32 && type != GgmlType.F16) throw new IllegalArgumentException("LoRA tensors are written as F32 or F16, not " + type);
        LoraMatrices first = sites.values().iterator().next();
        float alpha = first.scale() * first.rank();
        GgufWriter w = new GgufWriter().version(3).alignment(32);
        w.put(ARCH, GgufValue.ofString(architecture));
        w.put(TYPE, GgufValue.ofString("adapter"));
        w.put(ADAPTER_TYPE, GgufValue.ofString("lora"));
        w.put(ALPHA, GgufValue.ofFloat32(alpha));
        if (dropout != 0) w.put(DROPOUT, GgufValue.ofFloat32((float) dropout));
        base.ifPresent(b -> b.writeTo(w, BASE));
        for (LoraMatrices m : sites.values()) {
            float[] b = m.b();
            float fold = m.scale() * m.rank() / alpha;
            if (fold != 1f) {
                b = b.clone();
                for (int i = 0; i < b.length; i++) b[i] *= fold;
            }
            w.addTensor(tensorName(m.site(), true), type, new long[] {m.in(), m.rank()}, encode(m.a(), type));
            w.addTensor(tensorName(m.site(), false), type, new long[] {m.rank(), m.out()}, encode(b, type));
        }
        w.write(path);
    }

    /**
     * The dropout the LoRA GGUF at {@code path} was trained with ({@link #DROPOUT}; 0 when not recorded); metadata only.
     *
     * @throws IllegalArgumentException if it is not a readable GGUF
     */
    public static double dropout(Path path) {
        try (GgufFile f = GgufFile.open(path)) {
            return Double.parseDouble(Float.toString(f.metadata().getFloatOr(DROPOUT, 0f)));   // 0.3, not 0.30000001
        } catch (GgufFormatException e) {
            throw new IllegalArgumentException(path + ": not a GGUF adapter file: " + e.getMessage(), e);
        } catch (UncheckedIOException e) {
            throw new IllegalArgumentException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * Whether the GGUF at {@code path} is a LoRA adapter ({@code adapter.type = lora}); metadata only.
     *
     * @throws IllegalArgumentException if it is not a readable GGUF
     */
    public static boolean isLora(Path path) {
        try (GgufFile f = GgufFile.open(path)) {
            return "adapter".equals(f.metadata().getStringOr(TYPE, null)) && "lora".equals(f.metadata().getStringOr(ADAPTER_TYPE, null));
        } catch (GgufFormatException e) {
            throw new IllegalArgumentException(path + ": not a GGUF adapter file: " + e.getMessage(), e);
        } catch (UncheckedIOException e) {
            throw new IllegalArgumentException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * Reads a LoRA GGUF.
     *
     * @throws IllegalArgumentException naming the file and the problem if it is not a usable LoRA adapter
     */
    public static LoraFile read(Path path) {
        try (GgufFile f = GgufFile.open(path)) {
            return read(f);
        } catch (GgufFormatException e) {
            throw new IllegalArgumentException(path + ": not a GGUF adapter file: " + e.getMessage(), e);
        } catch (UncheckedIOException e) {
            throw new IllegalArgumentException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Reads a LoRA adapter from an open GGUF (values are copied out). */
    public static LoraFile read(GgufFile f) {
        String where = f.path().toString();
        GgufMetadata m = f.metadata();
        if (!"adapter".equals(m.getStringOr(TYPE, null)) || !"lora".equals(m.getStringOr(ADAPTER_TYPE, null))) {
            throw new IllegalArgumentException(where + ": not a LoRA adapter (general.type = " + m.getStringOr(TYPE, "absent")
                    + ", adapter.type = " + m.getStringOr(ADAPTER_TYPE, "absent") + ")");
        }
        try {
            String arch = m.getString(ARCH);
            Optional<BaseFingerprint> base = m.has(BASE + "fingerprint") ? Optional.of(BaseFingerprint.readFrom(m, BASE)) : Optional.empty();
            float alpha = m.getFloatOr(ALPHA, 0f);
            Map<VeraSite, GgufTensor[]> pairs = new HashMap<>();
            for (GgufTensor t : f.tensors().values()) {
                String name = t.name();
                if (name.endsWith("_norm.weight")) continue;   // llama.cpp skips norm vectors too
                Matcher mt = NAME.matcher(name);
                if (!mt.matches()) {
                    if (name.startsWith("token_embd.") || name.startsWith("output.")) {
                        throw new IllegalArgumentException("LoRA on " + name.substring(0, name.indexOf('.')) + " is not supported (only the blocks' linear layers)");
                    }
                    throw new IllegalArgumentException("unexpected tensor '" + name + "'");
                }
                VeraTarget target = target(mt.group(2), arch).orElseThrow(() -> new IllegalArgumentException(
                        "LoRA tensor '" + name + "' adapts " + mt.group(2) + ", which vera4j cannot adapt"));
                VeraSite site = new VeraSite(Integer.parseInt(mt.group(1)), target);
                pairs.computeIfAbsent(site, k -> new GgufTensor[2])[mt.group(3).equals("a") ? 0 : 1] = t;
            }
            TreeMap<VeraSite, LoraMatrices> sites = new TreeMap<>();
            for (Map.Entry<VeraSite, GgufTensor[]> e : pairs.entrySet()) {
                GgufTensor a = e.getValue()[0], b = e.getValue()[1];
                if (a == null || b == null) {
                    throw new IllegalArgumentException("tensor " + tensorName(e.getKey(), a == null) + " is missing");
                }
                if (a.rank() != 2 || b.rank() != 2 || a.dim(1) != b.dim(0)) {
                    throw new IllegalArgumentException("tensors " + a + " and " + b + " are not a LoRA pair ([in, r] and [r, out])");
                }
                int rank = Math.toIntExact(a.dim(1)), in = a.cols(), out = b.rows();
                float scale = alpha == 0f ? 1f : alpha / rank;
                sites.put(e.getKey(), new LoraMatrices(e.getKey(), rank, in, out, decode(a), decode(b), scale));
            }
            return new LoraFile(arch, base, sites);
        } catch (RuntimeException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(where)) throw e;
            throw new IllegalArgumentException(where + ": invalid LoRA adapter: " + e.getMessage(), e);
        }
    }

    /** The block target whose weight is {@code blk.N.<part>.weight} in models of {@code architecture}. */
    static Optional<VeraTarget> target(String part, String architecture) {
        boolean fused = architecture.equals("phi3");
        for (VeraTarget t : VeraTarget.values()) {
            if (t.expert() || !t.modelTensorPart().equals(part)) continue;
            boolean fusedTarget = t == VeraTarget.QKV || t == VeraTarget.GATE_UP;
            if (t.kinds().size() == 1 && fused && part.equals("ffn_up")) continue;   // Phi-3's ffn_up is gate and up
            if (fusedTarget && !fused) continue;
            return Optional.of(t);
        }
        return Optional.empty();
    }

    private static MemorySegment encode(float[] v, GgmlType type) {
        if (type == GgmlType.F16) {
            MemorySegment s = MemorySegment.ofArray(new byte[v.length * 2]);
            for (int i = 0; i < v.length; i++) s.setAtIndex(F16, i, Fp16.fromFloat(v[i]));
            return s;
        }
        MemorySegment s = MemorySegment.ofArray(new byte[v.length * 4]);
        for (int i = 0; i < v.length; i++) s.setAtIndex(F32, i, v[i]);
        return s;
    }

    private static float[] decode(GgufTensor t) {
        if (!Codecs.supports(t.type())) throw new IllegalArgumentException("tensor " + t.name() + " is " + t.type() + ", which vera4j cannot read");
        float[] out = new float[Math.toIntExact(t.elementCount())];
        Codecs.of(t.type()).dequantize(t.data(), 0, out, 0, out.length);
        return out;
    }
}
