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
                + " [--type F32|F16|Q8_0|Q4_0|Q4_K_M|Q6_K|...] [--pure] [--seed N] -o FILE";
    }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = new Args.Spec()
                .flag("help", "-h", "--help")
                .flag("verbose", "--verbose")
                .value("shape", "--shape")
                .value("type", "--type")
                .flag("pure", "--pure")
                .value("seed", "--seed")
                .value("output", "-o", "--output")
                .parse(argv);
        if (a.has("help")) {
            out.println("usage: vera4j make-model " + usage());
            out.println();
            out.println("--type takes llama-quantize's file types (" + String.join(", ", java.util.Arrays.stream(QuantMix.values()).map(Enum::name).toList()) + ")");
            out.println("and gives each matrix the type llama-quantize would: the output matrix in Q6_K, more bits in some attn_v");
            out.println("and ffn_down layers (Q4_K_M, Q5_K_M, Q3_K_M, ...). --pure gives every matrix the base type. Default Q8_0.");
            return 0;
        }
        if (!a.positional().isEmpty()) throw new UsageException("unexpected argument '" + a.positional().getFirst() + "'");
        ModelShape shape = ModelShape.named(a.require("shape", "--shape"));
        QuantMix type = QuantMix.named(a.get("type", "Q8_0"));
        boolean pure = a.has("pure");
        long seed = a.getLong("seed", 42);
        Path target = a.requirePath("output", "-o FILE");
        Path parent = target.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) throw new IllegalArgumentException("directory " + parent + " does not exist");
        long t0 = System.nanoTime();
        try {
            try (Progress p = Progress.start("writing " + target.getFileName(), err, System.console() != null)) {
                writer(shape, type, pure, seed).write(target);
            }
            out.printf("wrote %s: %s %s%s, %,d parameters, %.1f MiB in %.1f s%n", target, shape.name(), type, pure ? " (pure)" : "", shape.parameters(),
                    Files.size(target) / 1048576.0, (System.nanoTime() - t0) / 1e9);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
        return 0;
    }

    /** The whole model with every matrix of one type, as {@link #writer(ModelShape, QuantMix, boolean, long)}. */
    static GgufWriter writer(ModelShape s, GgmlType type, long seed) {
        return writer(s, java.util.Arrays.stream(QuantMix.values()).filter(m -> m.base == type).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no file type for " + type)), true, seed);
    }

    /**
     * The whole model as a streaming writer; nothing is generated until {@link GgufWriter#write}. Metadata and tensor
     * names are those llama.cpp's converter writes for the shape's architecture. Each matrix (expert stacks included)
     * takes the type {@code llama-quantize} gives it for {@code mix} ({@link QuantMix}), or with {@code pure} the mix's
     * base; norms, biases and routers stay F32 (as the converter and llama-quantize keep them).
     */
    static GgufWriter writer(ModelShape s, QuantMix mix, boolean pure, long seed) {
        String arch = s.architecture();
        GgufWriter w = new GgufWriter().version(3).alignment(32)
                .put("general.architecture", GgufValue.ofString(arch))
                .put("general.name", GgufValue.ofString("synthetic " + s.name()))
                .put("general.file_type", GgufValue.ofUInt32(mix.fileType))
                .put(arch + ".vocab_size", GgufValue.ofUInt32(s.vocab()))
                .put(arch + ".context_length", GgufValue.ofUInt32(s.context()))
                .put(arch + ".embedding_length", GgufValue.ofUInt32(s.dim()))
                .put(arch + ".block_count", GgufValue.ofUInt32(s.layers()))
                .put(arch + ".feed_forward_length", GgufValue.ofUInt32(s.ffn()))
                .put(arch + ".attention.head_count", GgufValue.ofUInt32(s.heads()))
                .put(arch + ".attention.head_count_kv", GgufValue.ofUInt32(s.kvHeads()))
                .put(arch + ".rope.freq_base", GgufValue.ofFloat32(s.ropeBase()))
                .put(arch + ".rope.dimension_count", GgufValue.ofUInt32(s.headSize()))
                .put(arch + ".attention.layer_norm_rms_epsilon", GgufValue.ofFloat32(s.eps()));
        if (s.headDim() > 0) {
            w.put(arch + ".attention.key_length", GgufValue.ofUInt32(s.headDim()));
            w.put(arch + ".attention.value_length", GgufValue.ofUInt32(s.headDim()));
        }
        if (s.window() > 0) w.put(arch + ".attention.sliding_window", GgufValue.ofUInt32(s.window()));
        if (arch.equals("gemma2")) {
            w.put(arch + ".attn_logit_softcapping", GgufValue.ofFloat32(50f));
            w.put(arch + ".final_logit_softcapping", GgufValue.ofFloat32(30f));
        }
        if (arch.equals("gemma3")) {
            w.put(arch + ".rope.scaling.type", GgufValue.ofString("linear"));
            w.put(arch + ".rope.scaling.factor", GgufValue.ofFloat32(8f));
        }
        if (s.originalContext() > 0) {
            w.put(arch + ".rope.scaling.original_context_length", GgufValue.ofUInt32(s.originalContext()));
            double factor = (double) s.context() / s.originalContext();
            w.put(arch + ".rope.scaling.attn_factor", GgufValue.ofFloat32((float) Math.sqrt(1 + Math.log(factor) / Math.log(s.originalContext()))));
        }
        ModelShape.Moe moe = s.moe();
        if (moe != null) {
            w.put(arch + ".expert_count", GgufValue.ofUInt32(moe.experts()));
            w.put(arch + ".expert_used_count", GgufValue.ofUInt32(moe.used()));
            if (!arch.equals("llama")) w.put(arch + ".expert_feed_forward_length", GgufValue.ofUInt32(moe.ffn()));
            if (moe.sharedFfn() > 0) w.put(arch + ".expert_shared_feed_forward_length", GgufValue.ofUInt32(moe.sharedFfn()));
        }
        SyntheticVocab.forShape(s).forEach(w::put);
        int[] index = {0};
        java.util.function.BiConsumer<String, long[]> matrix = (name, shape) -> {
            GgmlType type = mix.typeOf(name, (int) shape[0], s, pure);
            w.addTensor(name, type, shape, random(type, count(shape), seed * 1_000_003L + index[0]++, 0.02f));
        };
        java.util.function.BiConsumer<String, long[]> f32 = (name, shape) ->
                w.addTensor(name, GgmlType.F32, shape, random(GgmlType.F32, count(shape), seed * 1_000_003L + index[0]++, 0.02f));
        int dim = s.dim(), q = s.qDim(), kv = s.kvDim(), hd = s.headSize(), ff = s.ffn();
        matrix.accept("token_embd.weight", new long[] {dim, s.vocab()});
        if (s.llama3Rope()) {
            float[] divisors = new RopeScaling(RopeScaling.Type.LLAMA3, 32f, 1f, 4f, 8192).llama3Divisors(s.ropeBase(), hd);
            w.addTensor("rope_freqs.weight", GgmlType.F32, new long[] {divisors.length}, MemorySegment.ofArray(toBytes(divisors)));
        }
        if (s.originalContext() > 0) {   // LongRoPE's divisors: near 1 for short contexts, growing with the wavelength for long ones
            float[] shortF = new float[hd / 2], longF = new float[hd / 2];
            for (int i = 0; i < shortF.length; i++) {
                shortF[i] = 1f + 0.05f * i / shortF.length;
                longF[i] = 1f + 31f * i / longF.length;
            }
            w.addTensor("rope_factors_short.weight", GgmlType.F32, new long[] {shortF.length}, MemorySegment.ofArray(toBytes(shortF)));
            w.addTensor("rope_factors_long.weight", GgmlType.F32, new long[] {longF.length}, MemorySegment.ofArray(toBytes(longF)));
        }
        for (int l = 0; l < s.layers(); l++) {
            String p = "blk." + l + ".";
            w.addTensor(p + "attn_norm.weight", GgmlType.F32, new long[] {dim}, ones(dim));
            if (s.fused()) {
                matrix.accept(p + "attn_qkv.weight", new long[] {dim, q + 2L * kv});
            } else {
                matrix.accept(p + "attn_q.weight", new long[] {dim, q});
                matrix.accept(p + "attn_k.weight", new long[] {dim, kv});
                matrix.accept(p + "attn_v.weight", new long[] {dim, kv});
            }
            if (s.qkvBias()) {
                w.addTensor(p + "attn_q.bias", GgmlType.F32, new long[] {q}, random(GgmlType.F32, q, seed + 7 * l + 1, 0.01f));
                w.addTensor(p + "attn_k.bias", GgmlType.F32, new long[] {kv}, random(GgmlType.F32, kv, seed + 7 * l + 2, 0.01f));
                w.addTensor(p + "attn_v.bias", GgmlType.F32, new long[] {kv}, random(GgmlType.F32, kv, seed + 7 * l + 3, 0.01f));
            }
            if (s.qkNorm()) {
                w.addTensor(p + "attn_q_norm.weight", GgmlType.F32, new long[] {hd}, ones(hd));
                w.addTensor(p + "attn_k_norm.weight", GgmlType.F32, new long[] {hd}, ones(hd));
            }
            matrix.accept(p + "attn_output.weight", new long[] {q, dim});
            if (s.gemma()) w.addTensor(p + "post_attention_norm.weight", GgmlType.F32, new long[] {dim}, ones(dim));
            w.addTensor(p + "ffn_norm.weight", GgmlType.F32, new long[] {dim}, ones(dim));
            if (moe != null) {
                f32.accept(p + "ffn_gate_inp.weight", new long[] {dim, moe.experts()});
                matrix.accept(p + "ffn_gate_exps.weight", new long[] {dim, moe.ffn(), moe.experts()});
                matrix.accept(p + "ffn_up_exps.weight", new long[] {dim, moe.ffn(), moe.experts()});
                matrix.accept(p + "ffn_down_exps.weight", new long[] {moe.ffn(), dim, moe.experts()});
                if (moe.sharedFfn() > 0) {
                    f32.accept(p + "ffn_gate_inp_shexp.weight", new long[] {dim});
                    matrix.accept(p + "ffn_gate_shexp.weight", new long[] {dim, moe.sharedFfn()});
                    matrix.accept(p + "ffn_up_shexp.weight", new long[] {dim, moe.sharedFfn()});
                    matrix.accept(p + "ffn_down_shexp.weight", new long[] {moe.sharedFfn(), dim});
                }
            } else if (s.fused()) {
                matrix.accept(p + "ffn_up.weight", new long[] {dim, 2L * ff});
                matrix.accept(p + "ffn_down.weight", new long[] {ff, dim});
            } else {
                matrix.accept(p + "ffn_gate.weight", new long[] {dim, ff});
                matrix.accept(p + "ffn_up.weight", new long[] {dim, ff});
                matrix.accept(p + "ffn_down.weight", new long[] {ff, dim});
            }
            if (s.gemma()) w.addTensor(p + "post_ffw_norm.weight", GgmlType.F32, new long[] {dim}, ones(dim));
        }
        w.addTensor("output_norm.weight", GgmlType.F32, new long[] {dim}, ones(dim));
        if (!s.tied()) matrix.accept("output.weight", new long[] {dim, s.vocab()});
        return w;
    }

    private static long count(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
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
