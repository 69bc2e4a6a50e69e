package dev.vera4j.cuda;

import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.engine.model.ModelWeights;
import dev.vera4j.engine.model.RopeFrequencies;
import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.types.Codecs;
import dev.vera4j.gguf.types.TensorCodec;
import dev.vera4j.simd.Weights;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A llama-family model's weights in device memory, uploaded once from {@link ModelWeights} (the mapped GGUF; other
 * families are refused first, see {@link GpuModels}): matrices of the {@link DeviceTypes native} types byte for byte,
 * others converted to F16 on the way ({@link #conversions()} says which, for the load report); norm weights and biases as floats; the RoPE inverse frequencies computed as the
 * CPU's {@code Transformer} does. A tied output projection is the embedding matrix itself. Freed by {@link #close}.
 *
 * <pre>{@code
 * try (DeviceWeights w = DeviceWeights.upload(gpu, config, ModelWeights.of(file, config))) {
 *     System.out.println(w.describe());   // 2.3 GiB on cuda:0 (NVIDIA H200) (converted Q5_K -> F16: 64 matrices)
 * }
 * }</pre>
 */
public final class DeviceWeights implements AutoCloseable {
    /** Host memory per conversion step: rows are decoded and staged this many bytes at a time. */
    private static final long STAGE_BYTES = 16 << 20;
    private static final float F16_MAX = 65504f;

    /** One block's tensors on the device; vectors are addresses, 0 for the ones the model does not have. */
    public record Layer(long attnNorm, DeviceMatrix wq, DeviceMatrix wk, DeviceMatrix wv, DeviceMatrix wo,
                        long bq, long bk, long bv, long qNorm, long kNorm,
                        long ffnNorm, DeviceMatrix gate, DeviceMatrix up, DeviceMatrix down) {}

    private final DeviceArena arena;
    private final DeviceMatrix embedding, output;
    private final long outputNorm, invFreq;
    private final Layer[] layers;
    private final Map<String, Integer> conversions;

    private DeviceWeights(DeviceArena arena, DeviceMatrix embedding, DeviceMatrix output, long outputNorm, long invFreq,
                          Layer[] layers, Map<String, Integer> conversions) {
        this.arena = arena;
        this.embedding = embedding;
        this.output = output;
        this.outputNorm = outputNorm;
        this.invFreq = invFreq;
        this.layers = layers;
        this.conversions = conversions;
    }

    /**
     * Uploads every tensor of {@code w}.
     *
     * @throws dev.vera4j.engine.backend.DeviceException for a model of a family the GPU cannot run ({@link GpuModels})
     * @throws DeviceMemoryException if the device has not enough free memory for all of them (checked first)
     * @throws dev.vera4j.engine.model.ModelConfigException for a tensor type that cannot run on the GPU
     */
    public static DeviceWeights upload(CudaDevice device, ModelConfig c, ModelWeights w) {
        GpuModels.require(c);
        long needed = deviceBytes(w.tokenEmbedding().type(), w.tokenEmbedding().rows(), w.tokenEmbedding().cols())
                + (w.tiedEmbeddings() ? 0 : bytes(w.output())) + 4L * c.dim() + 2L * c.ropeDim();
        for (ModelWeights.Layer L : w.layers()) {
            needed += bytes(L.wq()) + bytes(L.wk()) + bytes(L.wv()) + bytes(L.wo()) + bytes(L.gate()) + bytes(L.up()) + bytes(L.down());
            needed += 8L * c.dim() + (c.qkvBias() ? 4L * (c.qDim() + 2L * c.kvDim()) : 0) + (c.qkNorm() ? 8L * c.headDim() : 0);
        }
        device.requireFree(needed, "the model's weights");
        DeviceArena arena = new DeviceArena(device);
        try {
            Map<String, Integer> conv = new TreeMap<>();
            Uploader up = new Uploader(arena, conv);
            DeviceMatrix emb = up.matrix(Weights.of(w.tokenEmbedding()), "token_embd.weight");
            DeviceMatrix out = w.tiedEmbeddings() ? emb : up.matrix(w.output(), "output.weight");
            Layer[] layers = new Layer[c.blockCount()];
            for (int l = 0; l < layers.length; l++) {
                ModelWeights.Layer L = w.layer(l);
                String p = "blk." + l + ".";
                layers[l] = new Layer(up.vector(L.attnNorm(), c.dim()),
                        up.matrix(L.wq(), p + "attn_q.weight"), up.matrix(L.wk(), p + "attn_k.weight"),
                        up.matrix(L.wv(), p + "attn_v.weight"), up.matrix(L.wo(), p + "attn_output.weight"),
                        up.vector(L.bq(), c.qDim()), up.vector(L.bk(), c.kvDim()), up.vector(L.bv(), c.kvDim()),
                        up.vector(L.qNorm(), c.headDim()), up.vector(L.kNorm(), c.headDim()),
                        up.vector(L.ffnNorm(), c.dim()),
                        up.matrix(L.gate(), p + "ffn_gate.weight"), up.matrix(L.up(), p + "ffn_up.weight"),
                        up.matrix(L.down(), p + "ffn_down.weight"));
            }
            long norm = up.vector(w.outputNorm(), c.dim());
            long inv = arena.upload(inverseFrequencies(c, w)).address();
            return new DeviceWeights(arena, emb, out, norm, inv, layers, conv);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * The rotary inverse frequencies, as the CPU's {@code Transformer} takes them ({@link RopeFrequencies}: Llama-3
     * divisors from the metadata, replaced by {@code rope_freqs.weight} when the file has it, and linear scaling).
     */
    static float[] inverseFrequencies(ModelConfig c, ModelWeights w) {
        return RopeFrequencies.inverse(c, w, RopeFrequencies.Kind.GLOBAL);
    }

    private static long bytes(Weights w) { return deviceBytes(w.type(), w.rows(), w.cols()); }

    /** Bytes a matrix takes on the device (F16 when converted; a matrix that must become F32 takes twice that). */
    static long deviceBytes(GgmlType type, int rows, int cols) {
        return (long) rows * DeviceTypes.uploadType(type).bytesFor(cols);
    }

    /** Copies tensors into one arena, converting the types without kernels. */
    private record Uploader(DeviceArena arena, Map<String, Integer> conversions) {
        long vector(MemorySegment v, int n) {
            if (v == null) return 0;
            DeviceBuffer b = arena.allocate(4L * n);
            b.upload(v.asSlice(0, 4L * n), 0);
            return b.address();
        }

        DeviceMatrix matrix(Weights w, String name) {
            GgmlType type = DeviceTypes.uploadType(w.type());
            if (type == w.type()) {
                long bytes = (long) w.rows() * w.rowBytes();
                DeviceBuffer b = arena.allocate(Math.max(1, bytes));
                for (long off = 0; off < bytes; off += STAGE_BYTES) b.upload(w.data().asSlice(off, Math.min(STAGE_BYTES, bytes - off)), off);
                return DeviceMatrix.dense(b.address(), type, w.rows(), w.cols());
            }
            DeviceMatrix m = convert(w, false);
            if (m == null) m = convert(w, true);
            conversions.merge(w.type() + " -> " + m.type(), 1, Integer::sum);
            return m;
        }

        /** {@code w} decoded by its codec, as F16 (null when a value exceeds F16's range) or F32. */
        private DeviceMatrix convert(Weights w, boolean f32) {
            TensorCodec codec = Codecs.of(w.type());
            GgmlType to = f32 ? GgmlType.F32 : GgmlType.F16;
            long rowOut = to.bytesFor(w.cols());
            int stageRows = (int) Math.max(1, Math.min(w.rows(), STAGE_BYTES / rowOut));
            float[] row = new float[w.cols()];
            DeviceBuffer b = arena.allocate(Math.max(1, rowOut * w.rows()));
            try (Arena host = Arena.ofConfined()) {
                MemorySegment stage = host.allocate(rowOut * stageRows, 16);
                for (int r0 = 0; r0 < w.rows(); r0 += stageRows) {
                    int rn = Math.min(stageRows, w.rows() - r0);
                    for (int r = 0; r < rn; r++) {
                        codec.dequantize(w.data(), (r0 + r) * w.rowBytes(), row, 0, w.cols());
                        long o = r * rowOut;
                        for (int k = 0; k < row.length; k++) {
                            if (f32) {
                                stage.set(ValueLayout.JAVA_FLOAT, o + 4L * k, row[k]);
                            } else {
                                if (Math.abs(row[k]) > F16_MAX) {   // F32 instead
                                    arena.release(b);
                                    return null;
                                }
                                stage.set(ValueLayout.JAVA_SHORT, o + 2L * k, Float.floatToFloat16(row[k]));
                            }
                        }
                    }
                    b.upload(stage.asSlice(0, rowOut * rn), r0 * rowOut);
                }
            }
            return DeviceMatrix.dense(b.address(), to, w.rows(), w.cols());
        }
    }

    public CudaDevice device() { return arena.device(); }

    public DeviceMatrix embedding() { return embedding; }

    /** The output projection: {@link #embedding()} itself when the model ties them. */
    public DeviceMatrix output() { return output; }

    public long outputNorm() { return outputNorm; }

    /** {@code ropeDim/2} floats. */
    public long invFreq() { return invFreq; }

    public Layer layer(int i) { return layers[i]; }

    /** Device bytes held. */
    public long bytes() { return arena.bytes(); }

    /** Conversions made on upload, as {@code "Q5_K -> F16"} with a count of matrices; empty when every type ran as stored. */
    public Map<String, Integer> conversions() { return conversions; }

    /** One line for a load report, e.g. {@code 1.2 GiB on cuda:0 (Q5_K -> F16: 112 matrices)}. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        conversions.forEach((k, v) -> parts.add(k + ": " + v + (v == 1 ? " matrix" : " matrices")));
        return Bytes.format(bytes()) + " on " + arena.device() + (parts.isEmpty() ? "" : " (converted " + String.join(", ", parts) + ")");
    }

    @Override
    public void close() { arena.close(); }
}
