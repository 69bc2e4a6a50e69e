package dev.vera4j.vera.merge;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufTensor;
import dev.vera4j.gguf.GgufValue;
import dev.vera4j.gguf.GgufWriter;
import dev.vera4j.gguf.TensorSource;
import dev.vera4j.gguf.types.Codecs;
import dev.vera4j.gguf.types.TensorCodec;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.vera.AdapterWeights;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.VeraSite;
import dev.vera4j.vera.VeraKernels;
import dev.vera4j.vera.VeraTarget;
import dev.vera4j.vera.lora.LoraFile;
import dev.vera4j.vera.lora.LoraMatrices;
import dev.vera4j.vera.lora.LoraWeights;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Folds a VeRA or LoRA adapter into a base model: every adapted weight becomes {@code W + weight·diag(λ_b)·B_l·diag(λ_d)·A_l}
 * (PEFT's {@code get_delta_weight}; a LoRA adapter's {@code W + weight·scale·B·A}), every other tensor and all metadata are copied unchanged. Weights stream through
 * in blocks of rows: dequantize the block, add its rows of {@code ΔW}, requantize, write; memory stays at a few
 * megabytes whatever the model size. A weight of {@code -1} takes a merged adapter back out (up to rounding). A fused
 * tensor (Phi-3's {@code attn_qkv}, {@code ffn_up}) takes its fused module's update whole; a tensor of all experts
 * ({@code ffn_gate_exps} ...) takes each adapted expert's update on that expert's rows.
 *
 * <pre>{@code
 * try (GgufFile base = GgufFile.open(basePath); WorkerPool pool = new WorkerPool(4)) {
 *     AdapterWeights w = AdapterLoader.prepare(adapterPath, BaseFingerprint.of(base), false);
 *     new Merger(pool).merge(base, w, 1f, GgmlType.F16, Path.of("merged.gguf"));
 * }
 * }</pre>
 */
public final class Merger {
    /** Rows dequantized at a time: bounded by this many floats. */
    private static final int BLOCK_FLOATS = 1 << 20;
    private static final Pattern WEIGHT_NAME = Pattern.compile("blk\\.(\\d+)\\.(\\w+)\\.weight");
    /** Key recording what was merged. */
    public static final String MERGED_KEY = "vera.merged_adapters";

    private final WorkerPool pool;

    /** @param pool threads that compute rows of ΔW */
    public Merger(WorkerPool pool) {
        this.pool = pool;
    }

    /**
     * Writes {@code out} (atomically): {@code base} with the adapter merged.
     *
     * @param type type of the merged weights, or {@code null} to keep each weight's own type
     * @throws IllegalArgumentException if a type cannot be written or rows are not whole blocks of it
     * @throws IOException              if writing fails
     */
    public void merge(GgufFile base, AdapterWeights adapter, float weight, GgmlType type, Path out) throws IOException {
        String record = "seed=" + adapter.file().config().seed() + " r=" + adapter.rank() + " targets="
                + adapter.file().config().targets() + " base=" + adapter.file().base().hash() + " weight=" + weight;
        merge(base, name -> veraRows(adapter, name), record, weight, type, out);
    }

    /**
     * Writes {@code out} (atomically): {@code base} with the LoRA adapter merged, every adapted weight
     * {@code W + weight·scale·B·A}.
     *
     * @throws IllegalArgumentException if a type cannot be written or rows are not whole blocks of it
     * @throws IOException              if writing fails
     */
    public void merge(GgufFile base, LoraWeights adapter, float weight, GgmlType type, Path out) throws IOException {
        LoraFile f = adapter.file();
        String record = "lora r=" + f.sites().values().stream().mapToInt(LoraMatrices::rank).max().orElse(0) + " targets="
                + f.sites().keySet().stream().map(s -> s.target().shortName()).distinct().toList()
                + " base=" + f.base().map(BaseFingerprint::hash).orElse(f.architecture()) + " weight=" + weight;
        merge(base, name -> loraRows(f, name), record, weight, type, out);
    }

    /** One adapted matrix's update, row by row: {@code buf[off .. off + in) += weight · ΔW[row]}. */
    private interface RowDelta {
        int in();

        int out();

        void addRow(int row, float weight, float[] buf, int off);
    }

    private void merge(GgufFile base, Function<String, RowDelta[]> rowsOf, String record, float weight, GgmlType type, Path out) throws IOException {
        if (!Float.isFinite(weight)) throw new IllegalArgumentException("adapter weight must be finite, got " + weight);
        GgufWriter w = new GgufWriter().version(base.version()).alignment(base.alignment()).putAll(base.metadata());
        String previous = base.metadata().getStringOr(MERGED_KEY, null);
        w.put(MERGED_KEY, GgufValue.ofString(previous == null ? record : previous + "; " + record));
        for (GgufTensor t : base.tensors().values()) {
            RowDelta[] sites = rowsOf.apply(t.name());
            if (sites == null) {
                w.addTensor(t.name(), t.type(), t.shape(), t.data());
                continue;
            }
            GgmlType outType = type != null ? type : t.type();
            check(t, outType, sites);
            w.addTensor(t.name(), outType, t.shape(), new MergedTensor(t, outType, sites, weight));
        }
        w.write(out);
    }

    /** The LoRA layer whose weight is the model tensor {@code name}, or null. */
    private static RowDelta[] loraRows(LoraFile f, String name) {
        Matcher m = WEIGHT_NAME.matcher(name);
        if (!m.matches()) return null;
        int layer = Integer.parseInt(m.group(1));
        for (LoraMatrices l : f.sites().values()) {
            if (l.site().layer() != layer || !l.site().target().modelTensorPart().equals(m.group(2))) continue;
            return new RowDelta[] {new RowDelta() {
                @Override public int in() { return l.in(); }

                @Override public int out() { return l.out(); }

                @Override
                public void addRow(int row, float weight, float[] buf, int off) {
                    float scale = weight * l.scale();
                    for (int i = 0; i < l.rank(); i++) VeraKernels.axpy(scale * l.b()[row * l.rank() + i], l.a(), i * l.in(), buf, off, l.in());
                }
            }};
        }
        return null;
    }

    /**
     * The adapted layers of the model tensor {@code name}: one, or one per expert of a tensor of all experts (null for
     * those not adapted); null when none is adapted.
     */
    private static RowDelta[] veraRows(AdapterWeights adapter, String name) {
        Matcher m = WEIGHT_NAME.matcher(name);
        if (!m.matches()) return null;
        BaseFingerprint base = adapter.file().base();
        int layer = Integer.parseInt(m.group(1));
        for (VeraTarget t : VeraTarget.values()) {
            if (!base.has(t) || !t.modelTensorPart().equals(m.group(2))) continue;
            RowDelta[] sites = new RowDelta[base.sitesPerLayer(t)];
            boolean any = false;
            for (int e = 0; e < sites.length; e++) {
                AdapterWeights.Site site = adapter.site(new VeraSite(layer, t, t.expert() ? e : -1));
                if (site != null) sites[e] = veraRows(adapter, site);
                any |= site != null;
            }
            return any ? sites : null;
        }
        return null;
    }

    /** PEFT's {@code get_delta_weight} row by row: {@code weight·λ_b[row]·Σ_i B[row][i]·λ_d[i]·A[i]}. */
    private static RowDelta veraRows(AdapterWeights adapter, AdapterWeights.Site site) {
        float[] a = adapter.a();
        int stride = adapter.aStride(), r = adapter.rank();
        return new RowDelta() {
            @Override public int in() { return site.in(); }

            @Override public int out() { return site.out(); }

            @Override
            public void addRow(int g, float weight, float[] buf, int off) {
                float scale = weight * site.lambdaB()[g];
                for (int i = 0; i < r; i++) {
                    float c = scale * site.b(g, i) * site.lambdaD()[i];
                    VeraKernels.axpy(c, a, i * stride, buf, off, site.in());
                }
            }
        };
    }

    private static void check(GgufTensor t, GgmlType outType, RowDelta[] sites) {
        RowDelta site = java.util.Arrays.stream(sites).filter(java.util.Objects::nonNull).findFirst().orElseThrow();
        if (t.rank() != (sites.length > 1 ? 3 : 2) || t.cols() != site.in() || t.rows() != site.out() * sites.length) {
            throw new IllegalArgumentException("tensor " + t + " does not have the adapter's shape " + sites.length + " x "
                    + site.out() + " x " + site.in());
        }
        if (!Codecs.supports(t.type())) throw new IllegalArgumentException("cannot read " + t.name() + ": no codec for " + t.type());
        if (!Codecs.supports(outType) || !Codecs.of(outType).canQuantize()) {
            throw new IllegalArgumentException("cannot write " + outType + " tensors; choose e.g. F32, F16, BF16 or Q8_0");
        }
        if (t.cols() % outType.blockSize() != 0) {
            throw new IllegalArgumentException("tensor " + t.name() + " has rows of " + t.cols() + " values, not whole "
                    + outType + " blocks of " + outType.blockSize() + "; choose another --type");
        }
    }

    /** Streams one merged weight. */
    private final class MergedTensor implements TensorSource {
        private final GgufTensor t;
        private final GgmlType outType;
        /** One adapted matrix per expert (one for a plain matrix); null where not adapted. */
        private final RowDelta[] sites;
        private final float weight;

        MergedTensor(GgufTensor t, GgmlType outType, RowDelta[] sites, float weight) {
            this.t = t;
            this.outType = outType;
            this.sites = sites;
            this.weight = weight;
        }

        @Override
        public void writeTo(WritableByteChannel channel) throws IOException {
            int rows = t.rows(), cols = t.cols();
            int block = Math.max(1, Math.min(rows, BLOCK_FLOATS / cols));
            float[] buf = new float[block * cols];
            byte[] bytes = new byte[Math.toIntExact(outType.bytesFor((long) block * cols))];
            MemorySegment seg = MemorySegment.ofArray(bytes);
            ByteBuffer bb = ByteBuffer.wrap(bytes);
            TensorCodec in = Codecs.of(t.type()), outCodec = Codecs.of(outType);
            int perSite = rows / sites.length;
            for (int r0 = 0; r0 < rows; r0 += block) {
                int nr = Math.min(block, rows - r0), first = r0;
                in.dequantize(t.data(), t.type().bytesFor((long) r0 * cols), buf, 0, nr * cols);
                pool.parallelFor(nr, (start, end) -> {
                    for (int k = start; k < end; k++) {
                        RowDelta site = sites[(first + k) / perSite];
                        if (site != null) site.addRow((first + k) % perSite, weight, buf, k * cols);
                    }
                });
                outCodec.quantize(buf, 0, nr * cols, seg, 0);
                bb.clear().limit(Math.toIntExact(outType.bytesFor((long) nr * cols)));
                while (bb.hasRemaining()) channel.write(bb);
            }
        }
    }
}
