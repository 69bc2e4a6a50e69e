package dev.vera4j.engine.model;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufTensor;
import dev.vera4j.gguf.types.Codecs;
import dev.vera4j.simd.MatMul;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.simd.Weights;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The tensors of a model as views of the mapped GGUF file; nothing is copied. Shapes are checked against the
 * {@link ModelConfig} so that a mismatch is a clear error at load time, not a wrong answer later.
 *
 * <p>Fused tensors become views of their rows: Phi-3's {@code attn_qkv} gives {@code wq}, {@code wk}, {@code wv}
 * (rows {@code [0, qDim)}, then {@code kvDim} each) and its {@code ffn_up} of {@code 2·ff} rows gives {@code gate}
 * (the first {@code ff}) and {@code up}, as llama.cpp's views do. The 3-D expert tensors of mixture-of-experts models
 * ({@code ffn_gate_exps}: {@code [dim, ff, experts]}) give one {@link Weights} per expert, so every kernel and packed
 * copy applies per expert.
 *
 * <pre>{@code
 * ModelWeights w = ModelWeights.of(file, config);
 * w.embedding(token, x, 0);   // dequantizes one row of token_embd
 * Weights wq = w.layer(0).wq();
 * Weights expert3Gate = w.layer(0).moe().gate()[3];
 * }</pre>
 *
 * @param output the output projection; {@code token_embd.weight} itself when the model ties embeddings
 * @param ropeFreqs divisors of the RoPE frequencies ({@code rope_freqs.weight}), or {@code null}
 * @param ropeFactorsShort LongRoPE's divisors for short contexts ({@code rope_factors_short.weight}), or {@code null}
 * @param ropeFactorsLong LongRoPE's divisors for long contexts ({@code rope_factors_long.weight}), or {@code null}
 */
public record ModelWeights(GgufTensor tokenEmbedding, MemorySegment outputNorm, Weights output, MemorySegment ropeFreqs,
                           MemorySegment ropeFactorsShort, MemorySegment ropeFactorsLong, Layer[] layers) {
    public static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * One transformer block. Norm weights and biases are F32 vectors; {@code bq/bk/bv} are {@code null} unless the
     * model has q/k/v biases, {@code qNorm/kNorm} unless it normalizes q and k per head, the post-norms unless it has
     * them (Gemma); {@code gate/up/down} are {@code null} in mixture-of-experts layers, {@code moe} in dense ones.
     */
    public record Layer(MemorySegment attnNorm, Weights wq, Weights wk, Weights wv, Weights wo,
                        MemorySegment bq, MemorySegment bk, MemorySegment bv, MemorySegment qNorm, MemorySegment kNorm,
                        MemorySegment attnPostNorm, MemorySegment ffnNorm, Weights gate, Weights up, Weights down,
                        MemorySegment ffnPostNorm, ExpertWeights moe) {
        /** The same layer with {@code f} applied to every matrix. */
        Layer map(UnaryOperator<Weights> f) {
            return new Layer(attnNorm, f.apply(wq), f.apply(wk), f.apply(wv), f.apply(wo), bq, bk, bv, qNorm, kNorm, attnPostNorm,
                    ffnNorm, apply(f, gate), apply(f, up), apply(f, down), ffnPostNorm, moe == null ? null : moe.map(f));
        }
    }

    /**
     * The feed-forward weights of a mixture-of-experts layer: the router ({@code ffn_gate_inp}, one row per expert),
     * each expert's SwiGLU matrices, and the shared expert with its gate ({@code ffn_gate_inp_shexp}, one row), or
     * {@code null}s without one.
     */
    public record ExpertWeights(Weights router, Weights[] gate, Weights[] up, Weights[] down,
                                Weights sharedGateInp, Weights sharedGate, Weights sharedUp, Weights sharedDown) {
        ExpertWeights map(UnaryOperator<Weights> f) {
            return new ExpertWeights(f.apply(router), all(f, gate), all(f, up), all(f, down), apply(f, sharedGateInp),
                    apply(f, sharedGate), apply(f, sharedUp), apply(f, sharedDown));
        }

        private static Weights[] all(UnaryOperator<Weights> f, Weights[] w) {
            Weights[] out = new Weights[w.length];
            for (int i = 0; i < w.length; i++) out[i] = f.apply(w[i]);
            return out;
        }
    }

    private static Weights apply(UnaryOperator<Weights> f, Weights w) { return w == null ? null : f.apply(w); }

    /**
     * These weights with a packed copy of every matrix whose type has a kernel layout ({@link Weights#pack}; every
     * quantized type llama-quantize writes but Q8_0) — fused-tensor row views and each expert's slice as matrices of
     * their own —, taken from {@code copies} (packed now, or mapped from the cache file of an earlier load). Every
     * product reads the copies from then on, so each copied matrix's mapped pages are released as soon as it is
     * copied: one resident copy, not two, even while loading (the few embedding rows a prompt needs come back from the
     * page cache on demand).
     */
    public ModelWeights packed(PackedCopies copies) {
        UnaryOperator<Weights> regroup = w -> regroup(w, copies);
        Layer[] ls = new Layer[layers.length];
        for (int i = 0; i < ls.length; i++) ls[i] = layers[i].map(regroup);
        return new ModelWeights(tokenEmbedding, outputNorm, regroup.apply(output), ropeFreqs, ropeFactorsShort, ropeFactorsLong, ls);
    }

    /** {@code w} with a packed copy if it can have one; then its mapped pages leave resident memory ({@link PackedCopies#releaseSource}). */
    private static Weights regroup(Weights w, PackedCopies copies) {
        Weights c = copies.pack(w);
        if (c.packed() != null) copies.releaseSource(c);
        return c;
    }

    /** Every matrix of the model: the output projection, then each layer's (experts and routers included). */
    public List<Weights> matrices() {
        List<Weights> all = new ArrayList<>();
        all.add(output);
        for (Layer l : layers) {
            l.map(w -> {
                if (w != null) all.add(w);
                return w;
            });
        }
        return all;
    }

    /** The matrix of {@code site}, or {@code null} when this model has none there (an expert site of a dense model). */
    public Weights matrix(LinearSite site) {
        if (site.kind() == LinearSite.Kind.OUTPUT) return output;
        Layer L = layers[site.layer()];
        ExpertWeights m = L.moe();
        return switch (site.kind()) {
            case Q -> L.wq();
            case K -> L.wk();
            case V -> L.wv();
            case O -> L.wo();
            case GATE -> L.gate();
            case UP -> L.up();
            case DOWN -> L.down();
            case GATE_EXP -> m == null ? null : m.gate()[site.expert()];
            case UP_EXP -> m == null ? null : m.up()[site.expert()];
            case DOWN_EXP -> m == null ? null : m.down()[site.expert()];
            case GATE_SHEXP -> m == null ? null : m.sharedGate();
            case UP_SHEXP -> m == null ? null : m.sharedUp();
            case DOWN_SHEXP -> m == null ? null : m.sharedDown();
            case OUTPUT -> output;
        };
    }

    /** These weights with {@code replacement} in place of the matrix {@code original} (by identity), e.g. to test a hook. */
    public ModelWeights replacing(Weights original, Weights replacement) {
        UnaryOperator<Weights> f = w -> w == original ? replacement : w;
        Layer[] ls = new Layer[layers.length];
        for (int i = 0; i < ls.length; i++) ls[i] = layers[i].map(f);
        return new ModelWeights(tokenEmbedding, outputNorm, f.apply(output), ropeFreqs, ropeFactorsShort, ropeFactorsLong, ls);
    }

    /** Whether the output projection is the token embedding matrix. */
    public boolean tiedEmbeddings() { return output.data().address() == tokenEmbedding.data().address() && output.type() == tokenEmbedding.type(); }

    public Layer layer(int i) { return layers[i]; }

    /**
     * Writes the embedding of {@code token} into {@code dst[off .. off+dim)}.
     *
     * @throws IllegalArgumentException if {@code token} is outside the vocabulary
     */
    public void embedding(int token, float[] dst, int off) {
        int dim = tokenEmbedding.cols();
        if (token < 0 || token >= tokenEmbedding.rows()) {
            throw new IllegalArgumentException("token id " + token + " is outside the vocabulary [0, " + tokenEmbedding.rows() + ")");
        }
        long row = tokenEmbedding.type().bytesFor(dim) * token;
        // The scalar decoding (bit-identical to the vector one): one row per token is too cold for C2 to compile the
        // Vector API path for hundreds of tokens, and until then the interpreter and C1 box every vector operation
        // (about 94 KB per token for a Q4_0 row of 2048); scalar code allocates nothing at any tier.
        Codecs.of(tokenEmbedding.type()).dequantizeReference(tokenEmbedding.data(), row, dst, off, dim);
    }

    /**
     * Finds and checks every tensor the configuration needs.
     *
     * @throws ModelConfigException naming the tensor when one is missing or has the wrong shape or type
     */
    public static ModelWeights of(GgufFile f, ModelConfig c) {
        int dim = c.dim(), q = c.qDim(), kv = c.kvDim(), ff = c.feedForwardLength(), hd = c.headDim();
        GgufTensor emb = require(f, "token_embd.weight", dim, c.vocabSize());
        if (!Codecs.supports(emb.type())) {
            throw new ModelConfigException("token_embd.weight is " + emb.type() + ", which has no codec (supported: " + Codecs.supportedTypes() + ")");
        }
        GgufTensor out = f.findTensor("output.weight");
        Weights output = out == null ? Weights.of(emb) : matrix(f, "output.weight", dim, c.vocabSize());
        MemorySegment ropeFreqs = optionalVector(f, "rope_freqs.weight", c.ropeDim() / 2);
        boolean longRope = c.ropeScaling().type() == RopeScaling.Type.LONGROPE;
        MemorySegment shortFactors = longRope ? vector(f, "rope_factors_short.weight", c.ropeDim() / 2) : null;
        MemorySegment longFactors = longRope ? vector(f, "rope_factors_long.weight", c.ropeDim() / 2) : null;
        boolean post = c.style().postNorms();
        Layer[] layers = new Layer[c.blockCount()];
        for (int i = 0; i < layers.length; i++) {
            String p = "blk." + i + ".";
            Weights wq, wk, wv, gate = null, up = null, down = null;
            if (f.findTensor(p + "attn_qkv.weight") != null) {
                Weights qkv = matrix(f, p + "attn_qkv.weight", dim, q + 2 * kv);
                wq = rows(qkv, 0, q);
                wk = rows(qkv, q, kv);
                wv = rows(qkv, q + kv, kv);
            } else {
                wq = matrix(f, p + "attn_q.weight", dim, q);
                wk = matrix(f, p + "attn_k.weight", dim, kv);
                wv = matrix(f, p + "attn_v.weight", dim, kv);
            }
            ExpertWeights moe = c.moe() ? experts(f, p, c) : null;
            if (!c.moe()) {
                GgufTensor upTensor = f.findTensor(p + "ffn_up.weight");
                if (upTensor != null && f.findTensor(p + "ffn_gate.weight") == null && upTensor.rows() == 2 * ff) {
                    Weights gateUp = matrix(f, p + "ffn_up.weight", dim, 2 * ff);   // Phi-3: gate rows, then up rows
                    gate = rows(gateUp, 0, ff);
                    up = rows(gateUp, ff, ff);
                } else {
                    gate = matrix(f, p + "ffn_gate.weight", dim, ff);
                    up = matrix(f, p + "ffn_up.weight", dim, ff);
                }
                down = matrix(f, p + "ffn_down.weight", ff, dim);
            }
            layers[i] = new Layer(
                    vector(f, p + "attn_norm.weight", dim), wq, wk, wv,
                    matrix(f, p + "attn_output.weight", q, dim),
                    c.qkvBias() ? vector(f, p + "attn_q.bias", q) : null,
                    c.qkvBias() ? vector(f, p + "attn_k.bias", kv) : null,
                    c.qkvBias() ? vector(f, p + "attn_v.bias", kv) : null,
                    c.qkNorm() ? vector(f, p + "attn_q_norm.weight", hd) : null,
                    c.qkNorm() ? vector(f, p + "attn_k_norm.weight", hd) : null,
                    post ? vector(f, p + "post_attention_norm.weight", dim) : null,
                    vector(f, p + "ffn_norm.weight", dim), gate, up, down,
                    post ? vector(f, p + "post_ffw_norm.weight", dim) : null,
                    moe);
        }
        return new ModelWeights(emb, vector(f, "output_norm.weight", dim), output, ropeFreqs, shortFactors, longFactors, layers);
    }

    /** The router, the per-expert views of the 3-D expert tensors and the shared expert of layer prefix {@code p}. */
    private static ExpertWeights experts(GgufFile f, String p, ModelConfig c) {
        Experts e = c.experts();
        int dim = c.dim(), ff = e.feedForwardLength(), sff = e.sharedFeedForwardLength();
        Weights router = matrix(f, p + "ffn_gate_inp.weight", dim, e.count());
        Weights[] gate = perExpert(f, p + "ffn_gate_exps.weight", dim, ff, e.count());
        Weights[] up = perExpert(f, p + "ffn_up_exps.weight", dim, ff, e.count());
        Weights[] down = perExpert(f, p + "ffn_down_exps.weight", ff, dim, e.count());
        if (!e.shared()) return new ExpertWeights(router, gate, up, down, null, null, null, null);
        GgufTensor gi = f.findTensor(p + "ffn_gate_inp_shexp.weight");   // [dim] or [dim, 1], as llama.cpp accepts
        if (gi == null || gi.cols() != dim || gi.rows() != 1) gi = require(f, p + "ffn_gate_inp_shexp.weight", dim);
        checkType(gi, dim);
        return new ExpertWeights(router, gate, up, down, new Weights(gi.data(), gi.type(), 1, dim),
                matrix(f, p + "ffn_gate_shexp.weight", dim, sff), matrix(f, p + "ffn_up_shexp.weight", dim, sff),
                matrix(f, p + "ffn_down_shexp.weight", sff, dim));
    }

    /** One view per expert of a {@code [cols, rows, experts]} tensor: expert {@code i}'s rows are contiguous. */
    private static Weights[] perExpert(GgufFile f, String name, int cols, int rows, int experts) {
        GgufTensor t = require(f, name, cols, rows, experts);
        checkType(t, cols);
        Weights[] out = new Weights[experts];
        long bytes = (long) rows * t.type().bytesFor(cols);
        for (int i = 0; i < experts; i++) out[i] = new Weights(t.data().asSlice(i * bytes, bytes), t.type(), rows, cols);
        return out;
    }

    /** Rows {@code [from, from + count)} of {@code w} as a matrix of their own (a slice of the same mapping). */
    private static Weights rows(Weights w, int from, int count) {
        return new Weights(w.data().asSlice(from * w.rowBytes(), count * w.rowBytes()), w.type(), count, w.cols());
    }

    private static GgufTensor require(GgufFile f, String name, long... shape) {
        GgufTensor t = f.findTensor(name);
        if (t == null) throw new ModelConfigException("tensor '" + name + "' is missing");
        if (!Arrays.equals(t.shape(), shape)) {
            throw new ModelConfigException("tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                    + ", the metadata implies " + Arrays.toString(shape));
        }
        return t;
    }

    private static Weights matrix(GgufFile f, String name, int cols, int rows) {
        GgufTensor t = require(f, name, cols, rows);
        checkType(t, cols);
        return Weights.of(t);
    }

    private static void checkType(GgufTensor t, int cols) {
        if (cols % t.type().blockSize() != 0) {
            throw new ModelConfigException("tensor '" + t.name() + "': " + cols + " columns are not whole " + t.type() + " blocks");
        }
        if (!MatMul.supports(t.type())) {
            throw new ModelConfigException("tensor '" + t.name() + "' is " + t.type() + ", a type vera4j cannot run (supported: "
                    + Codecs.supportedTypes() + ")");
        }
    }

    private static MemorySegment vector(GgufFile f, String name, int n) {
        GgufTensor t = require(f, name, n);
        if (t.type() != GgmlType.F32) throw new ModelConfigException("tensor '" + name + "' is " + t.type() + ", expected F32");
        return t.data();
    }

    private static MemorySegment optionalVector(GgufFile f, String name, int n) {
        return f.findTensor(name) == null ? null : vector(f, name, n);
    }
}
