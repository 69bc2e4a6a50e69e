package dev.vera4j.tools;

import dev.vera4j.engine.model.RopeScaling;
import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufValue;
import dev.vera4j.gguf.GgufWriter;
import dev.vera4j.gguf.TensorSource;
import dev.vera4j.gguf.types.Codecs;
import dev.vera4j.gguf.types.TensorCodec;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * {@code vera4j make-model --shape llama3-1b --type Q8_0 -o FILE}: a GGUF model of a real model's exact shape with
 * random small weights (fixed seed) and a valid synthetic tokenizer of the right vocabulary size. Tensors are
 * generated and quantized chunk by chunk while the file is written, so even a 1B model never sits on the heap.
 */
final class MakeModelCommand implements Command {
    private static final int CHUNK_VALUES = 1 << 18;

    @Override public String name() { return "make-model"; }
    @Override public String summary() { return "write a random-weight model of a known shape (for benchmarks and tests)"; }
    @Override public String usage() {
        return "--shape " + String.join("|", ModelShape.ALL.stream().map(ModelShape::name).toList())
                + " [--type Q8_0|Q4_0|Q4_K_M|F16|F32] [--seed N] -o FILE";
    }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = new Args.Spec()
                .flag("help", "-h", "--help")
                .flag("verbose", "--verbose")
                .value("shape", "--shape")
                .value("type", "--type")
                .value("seed", "--seed")
                .value("output", "-o", "--output")
                .parse(argv);
        if (a.has("help")) {
            out.println("usage: vera4j make-model " + usage());
            return 0;
        }
        if (!a.positional().isEmpty()) throw new UsageException("unexpected argument '" + a.positional().getFirst() + "'");
        ModelShape shape = ModelShape.named(a.require("shape", "--shape"));
        TensorTypes type = TensorTypes.parse(a.get("type", "Q8_0"));
        type.check(shape);
        long seed = a.getLong("seed", 42);
        Path target = a.requirePath("output", "-o FILE");
        Path parent = target.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) throw new IllegalArgumentException("directory " + parent + " does not exist");
        long t0 = System.nanoTime();
        try {
            try (Progress p = Progress.start("writing " + target.getFileName(), err, System.console() != null)) {
                writer(shape, type, seed).write(target);
            }
            out.printf("wrote %s: %s %s, %,d parameters, %.1f MiB in %.1f s%n", target, shape.name(), type, shape.parameters(),
                    Files.size(target) / 1048576.0, (System.nanoTime() - t0) / 1e9);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
        return 0;
    }

    /** The whole model as a streaming writer; nothing is generated until {@link GgufWriter#write}. */
    static GgufWriter writer(ModelShape s, TensorTypes types, long seed) {
        String arch = s.architecture();
        GgufWriter w = new GgufWriter().version(3).alignment(32)
                .put("general.architecture", GgufValue.ofString(arch))
                .put("general.name", GgufValue.ofString("synthetic " + s.name()))
                .put("general.file_type", GgufValue.ofUInt32(types.fileType()))
                .put(arch + ".vocab_size", GgufValue.ofUInt32(s.vocab()))
                .put(arch + ".context_length", GgufValue.ofUInt32(s.context()))
                .put(arch + ".embedding_length", GgufValue.ofUInt32(s.dim()))
                .put(arch + ".block_count", GgufValue.ofUInt32(s.layers()))
                .put(arch + ".feed_forward_length", GgufValue.ofUInt32(s.ffn()))
                .put(arch + ".attention.head_count", GgufValue.ofUInt32(s.heads()))
                .put(arch + ".attention.head_count_kv", GgufValue.ofUInt32(s.kvHeads()))
                .put(arch + ".rope.freq_base", GgufValue.ofFloat32(s.ropeBase()))
                .put(arch + ".rope.dimension_count", GgufValue.ofUInt32(s.headDim()))
                .put(arch + ".attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(s.eps()));
        SyntheticVocab.forShape(s).forEach(w::put);
        int[] index = {0};
        java.util.function.BiConsumer<String, long[]> matrix = (name, shape) ->
                w.addTensor(name, types.of(name), shape, random(types.of(name), shape[0] * shape[1], seed * 1_000_003L + index[0]++, 0.02f));
        matrix.accept("token_embd.weight", new long[] {s.dim(), s.vocab()});
        if (s.llama3Rope()) {
            float[] divisors = new RopeScaling(RopeScaling.Type.LLAMA3, 32f, 1f, 4f, 8192).llama3Divisors(s.ropeBase(), s.headDim());
            w.addTensor("rope_freqs.weight", GgmlType.F32, new long[] {divisors.length}, MemorySegment.ofArray(toBytes(divisors)));
        }
        for (int l = 0; l < s.layers(); l++) {
            String p = "blk." + l + ".";
            w.addTensor(p + "attn_norm.weight", GgmlType.F32, new long[] {s.dim()}, ones(s.dim()));
            matrix.accept(p + "attn_q.weight", new long[] {s.dim(), s.dim()});
            matrix.accept(p + "attn_k.weight", new long[] {s.dim(), s.kvDim()});
            matrix.accept(p + "attn_v.weight", new long[] {s.dim(), s.kvDim()});
            if (s.qkvBias()) {
                w.addTensor(p + "attn_q.bias", GgmlType.F32, new long[] {s.dim()}, random(GgmlType.F32, s.dim(), seed + 7 * l + 1, 0.01f));
                w.addTensor(p + "attn_k.bias", GgmlType.F32, new long[] {s.kvDim()}, random(GgmlType.F32, s.kvDim(), seed + 7 * l + 2, 0.01f));
                w.addTensor(p + "attn_v.bias", GgmlType.F32, new long[] {s.kvDim()}, random(GgmlType.F32, s.kvDim(), seed + 7 * l + 3, 0.01f));
            }
            matrix.accept(p + "attn_output.weight", new long[] {s.dim(), s.dim()});
            w.addTensor(p + "ffn_norm.weight", GgmlType.F32, new long[] {s.dim()}, ones(s.dim()));
            matrix.accept(p + "ffn_gate.weight", new long[] {s.dim(), s.ffn()});
            matrix.accept(p + "ffn_up.weight", new long[] {s.dim(), s.ffn()});
            matrix.accept(p + "ffn_down.weight", new long[] {s.ffn(), s.dim()});
        }
        w.addTensor("output_norm.weight", GgmlType.F32, new long[] {s.dim()}, ones(s.dim()));
        if (!s.tied()) matrix.accept("output.weight", new long[] {s.dim(), s.vocab()});
        return w;
    }

    /** {@code count} uniform values in {@code [-scale, scale)}, generated and encoded a chunk at a time. */
    static TensorSource random(GgmlType type, long count, long seed, float scale) {
        TensorCodec codec = Codecs.of(type);
        if (!codec.canQuantize()) throw new IllegalArgumentException("cannot encode " + type);
        return out -> {
            SplittableRandom rnd = new SplittableRandom(seed);
            int chunk = (int) Math.min(count, CHUNK_VALUES);   // a multiple of every block size (256)
            float[] values = new float[chunk];
            byte[] bytes = new byte[(int) type.bytesFor(chunk)];
            MemorySegment seg = MemorySegment.ofArray(bytes);
            for (long done = 0; done < count; done += chunk) {
                int n = (int) Math.min(chunk, count - done);
                for (int i = 0; i < n; i++) values[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
                codec.quantize(values, 0, n, seg, 0);
                ByteBuffer buf = ByteBuffer.wrap(bytes, 0, (int) type.bytesFor(n));
                while (buf.hasRemaining()) out.write(buf);
            }
        };
    }

    private static MemorySegment ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return MemorySegment.ofArray(toBytes(v));
    }

    private static byte[] toBytes(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }
}
