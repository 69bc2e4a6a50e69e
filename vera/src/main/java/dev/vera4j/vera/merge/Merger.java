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
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Folds a VeRA adapter into a base model: every adapted weight becomes {@code W + weight·diag(λ_b)·B_l·diag(λ_d)·A_l}
 * (PEFT's {@code get_delta_weight}), every other tensor and all metadata are copied unchanged. Weights stream through
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
        if (!Float.isFinite(weight)) throw new IllegalArgumentException("adapter weight must be finite, got " + weight);
        GgufWriter w = new GgufWriter().version(base.version()).alignment(base.alignment()).putAll(base.metadata());
        String record = "seed=" + adapter.file().config().seed() + " r=" + adapter.rank() + " targets="
                + adapter.file().config().targets() + " base=" + adapter.file().base().hash() + " weight=" + weight;
        String previous = base.metadata().getStringOr(MERGED_KEY, null);
        w.put(MERGED_KEY, GgufValue.ofString(previous == null ? record : previous + "; " + record));
        for (GgufTensor t : base.tensors().values()) {
            AdapterWeights.Site[] sites = sitesOf(adapter, t.name());
            if (sites == null) {
                w.addTensor(t.name(), t.type(), t.shape(), t.data());
                continue;
            }
            GgmlType outType = type != null ? type : t.type();
            check(t, outType, sites);
            w.addTensor(t.name(), outType, t.shape(), new MergedTensor(t, outType, sites, adapter, weight));
        }
        w.write(out);
    }

    /**
     * The adapted layers of the model tensor {@code name}: one, or one per expert of a tensor of all experts (null for
     * those not adapted); null when none is adapted.
     */
    private static AdapterWeights.Site[] sitesOf(AdapterWeights adapter, String name) {
        Matcher m = WEIGHT_NAME.matcher(name);
        if (!m.matches()) return null;
        BaseFingerprint base = adapter.file().base();
        int layer = Integer.parseInt(m.group(1));
        for (VeraTarget t : VeraTarget.values()) {
            if (!base.has(t) || !t.modelTensorPart().equals(m.group(2))) continue;
            AdapterWeights.Site[] sites = new AdapterWeights.Site[base.sitesPerLayer(t)];
            boolean any = false;
            for (int e = 0; e < sites.length; e++) {
                sites[e] = adapter.site(new VeraSite(layer, t, t.expert() ? e : -1));
                any |= sites[e] != null;
            }
            return any ? sites : null;
        }
        return null;
    }

    private static void check(GgufTensor t, GgmlType outType, AdapterWeights.Site[] sites) {
        AdapterWeights.Site site = java.util.Arrays.stream(sites).filter(java.util.Objects::nonNull).findFirst().orElseThrow();
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
        /** One adapted layer per expert (one for a plain matrix); null where not adapted. */
        private final AdapterWeights.Site[] sites;
        private final AdapterWeights adapter;
        private final float weight;

        MergedTensor(GgufTensor t, GgmlType outType, AdapterWeights.Site[] sites, AdapterWeights adapter, float weight) {
            this.t = t;
            this.outType = outType;
            this.sites = sites;
            this.adapter = adapter;
            this.weight = weight;
        }

        @Override
        public void writeTo(WritableByteChannel channel) throws IOException {
            int rows = t.rows(), cols = t.cols(), r = adapter.rank();
            int block = Math.max(1, Math.min(rows, BLOCK_FLOATS / cols));
            float[] buf = new float[block * cols];
            byte[] bytes = new byte[Math.toIntExact(outType.bytesFor((long) block * cols))];
            MemorySegment seg = MemorySegment.ofArray(bytes);
            ByteBuffer bb = ByteBuffer.wrap(bytes);
            TensorCodec in = Codecs.of(t.type()), outCodec = Codecs.of(outType);
            float[] a = adapter.a();
            int stride = adapter.aStride(), perSite = rows / sites.length;
            for (int r0 = 0; r0 < rows; r0 += block) {
                int nr = Math.min(block, rows - r0), first = r0;
                in.dequantize(t.data(), t.type().bytesFor((long) r0 * cols), buf, 0, nr * cols);
                pool.parallelFor(nr, (start, end) -> {
                    for (int k = start; k < end; k++) {
                        AdapterWeights.Site site = sites[(first + k) / perSite];
                        if (site == null) continue;
                        int g = (first + k) % perSite;
                        float scale = weight * site.lambdaB()[g];
                        for (int i = 0; i < r; i++) {
                            float c = scale * site.b(g, i) * site.lambdaD()[i];
                            VeraKernels.axpy(c, a, i * stride, buf, k * cols, cols);
                        }
                    }
                });
                outCodec.quantize(buf, 0, nr * cols, seg, 0);
                bb.clear().limit(Math.toIntExact(outType.bytesFor((long) nr * cols)));
                while (bb.hasRemaining()) channel.write(bb);
            }
        }
    }
}
