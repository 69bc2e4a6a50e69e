package dev.vera4j.vera;

import dev.vera4j.engine.model.LinearSite;
import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufArray;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufFormatException;
import dev.vera4j.gguf.GgufMetadata;
import dev.vera4j.gguf.GgufTensor;
import dev.vera4j.gguf.GgufValue;
import dev.vera4j.gguf.GgufWriter;
import dev.vera4j.gguf.types.Fp16;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A VeRA adapter as vera4j stores it: a small GGUF ({@code general.type = adapter}, {@code adapter.type = vera})
 * holding the configuration, the identity of the base model, and the trained {@code λ_b}/{@code λ_d} of every
 * adapted layer. The shared projections are not stored: they are regenerated from the seed exactly as PEFT does
 * ({@link Projections}); only an imported PEFT adapter whose stored {@code vera_A}/{@code vera_B} differ from the
 * regenerated ones keeps them, as tensors {@code vera_A}/{@code vera_B}.
 *
 * <p>{@code λ_b} is kept in Hugging Face row order, as PEFT saves it; {@link AdapterWeights} moves q/k rows into the
 * GGUF order at load time ({@link QkPermutation}). Tensors are named {@code blk.N.attn_q.vera_lambda_b} and
 * {@code blk.N.attn_q.vera_lambda_d} (the base weight's name with {@code weight} replaced), F32 or F16.
 *
 * <pre>{@code
 * AdapterFile a = AdapterFile.read(Path.of("tiny-stories-vera.gguf"));
 * a.base().requireSameModel(BaseFingerprint.of(modelPath), "tiny-stories-vera.gguf", false);
 * a.write(Path.of("copy.gguf"), GgmlType.F16);
 * }</pre>
 *
 * @param config      seed, rank, d_initial, targets, layers, rounding
 * @param inMax       columns of the shared A (PEFT's largest adapted input width)
 * @param outMax      rows of the shared B
 * @param base        the model the adapter belongs to
 * @param lambdas     λ vectors by site, Hugging Face row order
 * @param projections stored projections, present only when they cannot be regenerated from the seed
 * @param peft        what is needed to write an imported PEFT adapter back unchanged
 */
public record AdapterFile(VeraConfig config, int inMax, int outMax, BaseFingerprint base,
                          SortedMap<VeraSite, VeraLambdas> lambdas, Optional<Projections> projections,
                          Optional<PeftOrigin> peft) {
    /** GGUF keys. */
    public static final String TYPE = "general.type", ADAPTER_TYPE = "adapter.type", ARCH = "general.architecture",
            SEED = "vera.seed", RANK = "vera.rank", D_INITIAL = "vera.d_initial", FMA = "vera.fma",
            TARGETS = "vera.target_modules", LAYERS = "vera.layers", IN_MAX = "vera.in_max", OUT_MAX = "vera.out_max",
            BASE = "vera.base.", PEFT = "vera.peft.";
    static final String A_TENSOR = "vera_A", B_TENSOR = "vera_B";
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * The PEFT files' details that the GGUF does not otherwise need: the original {@code adapter_config.json}, whether
     * it saved the projections, the tensor dtypes and the safetensors {@code __metadata__} (JSON).
     */
    public record PeftOrigin(String configJson, boolean saveProjection, String lambdaDtype, String projectionDtype,
                             String safetensorsMetadata) {}

    /**
     * Checks the pieces against each other and against the base's shape.
     *
     * @throws IllegalArgumentException naming the first inconsistency
     */
    public AdapterFile {
        int[] dims = base.projectionDims(config.targets());
        if (inMax < dims[0] || outMax < dims[1]) {
            throw new IllegalArgumentException("projections of " + outMax + " x " + inMax + " are smaller than the adapted layers need ("
                    + dims[1] + " x " + dims[0] + ")");
        }
        if (lambdas.isEmpty()) throw new IllegalArgumentException("the adapter has no λ vectors");
        for (Map.Entry<VeraSite, VeraLambdas> e : lambdas.entrySet()) {
            VeraSite s = e.getKey();
            VeraLambdas l = e.getValue();
            if (s.layer() >= base.blockCount()) {
                throw new IllegalArgumentException(s + " is beyond the base model's " + base.blockCount() + " layers");
            }
            if (!base.has(s.target()) || s.expert() >= base.sitesPerLayer(s.target())) {
                throw new IllegalArgumentException(s + " is not a module of the base model (" + base.describe() + ")");
            }
            if (!config.adapts(s.layer(), s.target())) {
                throw new IllegalArgumentException(s + " has λ vectors but the configuration does not adapt it");
            }
            if (l.out() != base.outputs(s.target())) {
                throw new IllegalArgumentException(s + ": λ_b has " + l.out() + " values, the layer has " + base.outputs(s.target()) + " outputs");
            }
            if (l.rank() != config.rank()) {
                throw new IllegalArgumentException(s + ": λ_d has " + l.rank() + " values but r = " + config.rank());
            }
        }
        if (projections.isPresent()) {
            Projections p = projections.get();
            if (p.rank() != config.rank() || p.inMax() != inMax || p.outMax() != outMax) {
                throw new IllegalArgumentException("stored projections " + p + " do not match r=" + config.rank()
                        + ", in_max=" + inMax + ", out_max=" + outMax);
            }
        }
        lambdas = Collections.unmodifiableSortedMap(new TreeMap<>(lambdas));
    }

    /** The shared A and B: the stored ones, or regenerated from the seed. */
    public Projections resolveProjections() {
        return projections.orElseGet(() -> Projections.generate(config, inMax, outMax));
    }

    /** Trainable parameters: the total length of all λ vectors. */
    public long parameterCount() {
        long n = 0;
        for (VeraLambdas l : lambdas.values()) n += l.out() + l.rank();
        return n;
    }

    /** The GGUF name of one λ tensor, e.g. {@code blk.3.attn_q.vera_lambda_b}, {@code blk.3.ffn_down_exps.7.vera_lambda_d}. */
    public static String tensorName(VeraSite site, boolean lambdaB) {
        return "blk." + site.layer() + "." + site.target().tensorPart() + (site.expert() >= 0 ? "." + site.expert() : "")
                + (lambdaB ? ".vera_lambda_b" : ".vera_lambda_d");
    }

    /**
     * Writes the adapter atomically with λ vectors (and stored projections) as {@code type}.
     *
     * @param type {@link GgmlType#F32} or {@link GgmlType#F16}
     */
    public void write(Path path, GgmlType type) throws IOException {
        if (type != GgmlType.F32 && type != GgmlType.F16) {
            throw new IllegalArgumentException("adapter vectors are stored as F32 or F16, not " + type);
        }
        GgufWriter w = new GgufWriter().version(3).alignment(32);
        w.put(ARCH, GgufValue.ofString(base.architecture()));
        w.put(TYPE, GgufValue.ofString("adapter"));
        w.put(ADAPTER_TYPE, GgufValue.ofString("vera"));
        w.put(SEED, GgufValue.ofInt64(config.seed()));
        w.put(RANK, GgufValue.ofUInt32(config.rank()));
        w.put(D_INITIAL, GgufValue.ofFloat32(config.dInitial()));
        w.put(FMA, GgufValue.ofBool(config.fusedMultiplyAdd()));
        w.put(TARGETS, GgufValue.ofArray(GgufArray.ofStrings(
                config.targets().stream().map(VeraTarget::shortName).toArray(String[]::new))));
        w.put(LAYERS, GgufValue.ofArray(GgufArray.ofInt32(config.layers().stream().mapToInt(Integer::intValue).toArray())));
        w.put(IN_MAX, GgufValue.ofUInt32(inMax));
        w.put(OUT_MAX, GgufValue.ofUInt32(outMax));
        base.writeTo(w, BASE);
        if (peft.isPresent()) {
            PeftOrigin o = peft.get();
            w.put(PEFT + "config", GgufValue.ofString(o.configJson()));
            w.put(PEFT + "save_projection", GgufValue.ofBool(o.saveProjection()));
            w.put(PEFT + "lambda_dtype", GgufValue.ofString(o.lambdaDtype()));
            w.put(PEFT + "projection_dtype", GgufValue.ofString(o.projectionDtype()));
            w.put(PEFT + "safetensors_metadata", GgufValue.ofString(o.safetensorsMetadata()));
        }
        for (Map.Entry<VeraSite, VeraLambdas> e : lambdas.entrySet()) {
            VeraLambdas l = e.getValue();
            w.addTensor(tensorName(e.getKey(), true), type, new long[] {l.out()}, encode(l.lambdaB(), type));
            w.addTensor(tensorName(e.getKey(), false), type, new long[] {l.rank()}, encode(l.lambdaD(), type));
        }
        if (projections.isPresent()) {
            // projections are not trained; they are kept exactly (F32) whatever type the vectors get
            Projections p = projections.get();
            w.addTensor(A_TENSOR, GgmlType.F32, new long[] {p.inMax(), p.rank()}, encode(p.a(), GgmlType.F32));
            w.addTensor(B_TENSOR, GgmlType.F32, new long[] {p.rank(), p.outMax()}, encode(p.b(), GgmlType.F32));
        }
        w.write(path);
    }

    /**
     * Reads an adapter file written by {@link #write}.
     *
     * @throws IllegalArgumentException naming the file and the problem if it is not a valid VeRA adapter
     */
    public static AdapterFile read(Path path) {
        try (GgufFile f = GgufFile.open(path)) {
            return read(f);
        } catch (GgufFormatException e) {
            throw new IllegalArgumentException(path + ": not a GGUF adapter file: " + e.getMessage(), e);
        } catch (UncheckedIOException e) {
            throw new IllegalArgumentException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * Reads only the identity of the base model an adapter file was made for (its metadata; no vectors): a cheap check
     * of many adapters at once.
     *
     * <pre>{@code
     * AdapterFile.readBase(Path.of("style.gguf")).requireSameModel(BaseFingerprint.of(modelPath), "style.gguf", false);
     * }</pre>
     *
     * @throws IllegalArgumentException naming the file if it is not a VeRA adapter
     */
    public static BaseFingerprint readBase(Path path) {
        try (GgufFile f = GgufFile.open(path)) {
            requireVera(f);
            return base(f.metadata());
        } catch (GgufFormatException e) {
            throw new IllegalArgumentException(path + ": not a GGUF adapter file: " + e.getMessage(), e);
        } catch (UncheckedIOException e) {
            throw new IllegalArgumentException(path + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(path.toString())) throw e;
            throw new IllegalArgumentException(path + ": invalid VeRA adapter: " + e.getMessage(), e);
        }
    }

    private static void requireVera(GgufFile f) {
        GgufMetadata m = f.metadata();
        if (!"adapter".equals(m.getStringOr(TYPE, null)) || !"vera".equals(m.getStringOr(ADAPTER_TYPE, null))) {
            throw new IllegalArgumentException(f.path() + ": not a VeRA adapter (general.type = " + m.getStringOr(TYPE, "absent")
                    + ", adapter.type = " + m.getStringOr(ADAPTER_TYPE, "absent") + "); is it a model?");
        }
    }

    private static BaseFingerprint base(GgufMetadata m) {
        return BaseFingerprint.readFrom(m, BASE);
    }

    /** Reads an adapter from an open GGUF (values are copied out). */
    public static AdapterFile read(GgufFile f) {
        String where = f.path().toString();
        GgufMetadata m = f.metadata();
        requireVera(f);
        try {
            EnumSet<VeraTarget> targets = EnumSet.noneOf(VeraTarget.class);
            for (String t : m.getStringArray(TARGETS)) targets.add(VeraTarget.parse(t));
            List<Integer> layers = new ArrayList<>();
            for (int l : m.getIntArray(LAYERS)) layers.add(l);
            VeraConfig config = new VeraConfig(m.getLong(SEED), m.getInt(RANK), m.getFloat(D_INITIAL), targets, layers,
                    m.getBoolean(FMA));
            BaseFingerprint base = base(m);
            int inMax = m.getInt(IN_MAX), outMax = m.getInt(OUT_MAX);
            TreeMap<VeraSite, VeraLambdas> lambdas = new TreeMap<>();
            for (int layer = 0; layer < base.blockCount(); layer++) {
                for (VeraTarget t : VeraTarget.values()) {
                    if (!base.has(t)) continue;   // W1 and GATE_EXP name the same tensors; a model has one of them
                    for (int e = 0; e < base.sitesPerLayer(t); e++) {
                        VeraSite site = new VeraSite(layer, t, t.expert() ? e : -1);
                        GgufTensor b = f.findTensor(tensorName(site, true)), d = f.findTensor(tensorName(site, false));
                        if (b == null && d == null) continue;
                        if (b == null || d == null) {
                            throw new IllegalArgumentException("tensor " + tensorName(site, b == null) + " is missing");
                        }
                        lambdas.put(site, new VeraLambdas(decode(b, 1), decode(d, 1)));
                    }
                }
            }
            int expected = 2 * lambdas.size();
            Optional<Projections> projections = Optional.empty();
            GgufTensor a = f.findTensor(A_TENSOR), bt = f.findTensor(B_TENSOR);
            if ((a == null) != (bt == null)) throw new IllegalArgumentException("only one of vera_A and vera_B is present");
            if (a != null) {
                expected += 2;
                if (a.rank() != 2 || a.dim(1) != config.rank() || bt.rank() != 2 || bt.dim(0) != config.rank()) {
                    throw new IllegalArgumentException("vera_A/vera_B have shapes " + a + " / " + bt + ", expected rank " + config.rank());
                }
                projections = Optional.of(Projections.of(config.rank(), (int) a.dim(0), (int) bt.dim(1), decode(a, 2), decode(bt, 2)));
            }
            if (f.tensors().size() != expected) {
                List<String> unknown = new ArrayList<>();
                for (String name : f.tensors().keySet()) {
                    if (!name.equals(A_TENSOR) && !name.equals(B_TENSOR) && !name.matches("blk\\.\\d+\\.\\w+(\\.\\d+)?\\.vera_lambda_[bd]")) unknown.add(name);
                }
                throw new IllegalArgumentException("unexpected tensors " + (unknown.isEmpty() ? "(λ of layers or targets the adapter lacks)" : unknown));
            }
            Optional<PeftOrigin> peft = Optional.empty();
            if (m.has(PEFT + "config")) {
                peft = Optional.of(new PeftOrigin(m.getString(PEFT + "config"), m.getBoolean(PEFT + "save_projection"),
                        m.getString(PEFT + "lambda_dtype"), m.getString(PEFT + "projection_dtype"),
                        m.getString(PEFT + "safetensors_metadata")));
            }
            return new AdapterFile(config, inMax, outMax, base, lambdas, projections, peft);
        } catch (RuntimeException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(where)) throw e;
            throw new IllegalArgumentException(where + ": invalid VeRA adapter: " + e.getMessage(), e);
        }
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

    private static float[] decode(GgufTensor t, int rank) {
        if (t.rank() != rank) throw new IllegalArgumentException("tensor " + t + " should have " + rank + " dimension(s)");
        long n = t.elementCount();
        if (n == 0 || n > Integer.MAX_VALUE) throw new IllegalArgumentException("tensor " + t + " has an invalid size");
        float[] out = new float[(int) n];
        switch (t.type()) {
            case F32 -> { for (int i = 0; i < out.length; i++) out[i] = t.data().getAtIndex(F32, i); }
            case F16 -> { for (int i = 0; i < out.length; i++) out[i] = Fp16.toFloat(t.data().getAtIndex(F16, i)); }
            default -> throw new IllegalArgumentException("tensor " + t.name() + " is " + t.type() + "; adapter tensors must be F32 or F16");
        }
        return out;
    }
}
