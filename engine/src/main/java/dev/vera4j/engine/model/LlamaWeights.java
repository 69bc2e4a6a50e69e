package dev.vera4j.engine.model;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufTensor;
import dev.vera4j.gguf.types.Codecs;
import dev.vera4j.simd.MatMul;
import dev.vera4j.simd.OsMemory;
import dev.vera4j.simd.WorkerPool;
import dev.vera4j.simd.Weights;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The tensors of a llama-family model as views of the mapped GGUF file; nothing is copied. Shapes are checked against
 * the {@link ModelConfig} so that a mismatch is a clear error at load time, not a wrong answer later.
 *
 * <pre>{@code
 * LlamaWeights w = LlamaWeights.of(file, config);
 * w.embedding(token, x, 0);   // dequantizes one row of token_embd
 * Weights wq = w.layer(0).wq();
 * }</pre>
 *
 * @param output the output projection; {@code token_embd.weight} itself when the model ties embeddings
 * @param ropeFreqs divisors of the RoPE frequencies ({@code rope_freqs.weight}), or {@code null}
 */
public record LlamaWeights(GgufTensor tokenEmbedding, MemorySegment outputNorm, Weights output, MemorySegment ropeFreqs,
                           Layer[] layers) {
    public static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * One transformer block. Norm weights and biases are F32 vectors; {@code bq/bk/bv} are {@code null} unless the
     * model has q/k/v biases, {@code qNorm/kNorm} unless it normalizes q and k per head.
     */
    public record Layer(MemorySegment attnNorm, Weights wq, Weights wk, Weights wv, Weights wo,
                        MemorySegment bq, MemorySegment bk, MemorySegment bv, MemorySegment qNorm, MemorySegment kNorm,
                        MemorySegment ffnNorm, Weights gate, Weights up, Weights down) {}

    /**
     * These weights with a packed copy of every matrix whose type has a kernel layout ({@link Weights#pack}: Q4_0,
     * Q4_K, Q6_K), allocated in {@code arena} and written by {@code pool}'s threads. Every product reads the copies
     * from then on, so each copied matrix's mapped pages are released as soon as it is copied: one resident copy, not
     * two, even while loading (the few embedding rows a prompt needs come back from the page cache on demand).
     */
    public LlamaWeights packed(Arena arena, WorkerPool pool) {
        Layer[] ls = new Layer[layers.length];
        for (int i = 0; i < ls.length; i++) {
            Layer L = layers[i];
            ls[i] = new Layer(L.attnNorm(), regroup(L.wq(), arena, pool), regroup(L.wk(), arena, pool),
                    regroup(L.wv(), arena, pool), regroup(L.wo(), arena, pool), L.bq(), L.bk(), L.bv(),
                    L.qNorm(), L.kNorm(), L.ffnNorm(), regroup(L.gate(), arena, pool),
                    regroup(L.up(), arena, pool), regroup(L.down(), arena, pool));
        }
        return new LlamaWeights(tokenEmbedding, outputNorm, regroup(output, arena, pool), ropeFreqs, ls);
    }

    /** {@code w} with a packed copy if it can have one; then its mapped pages leave resident memory ({@link OsMemory#release}). */
    private static Weights regroup(Weights w, Arena arena, WorkerPool pool) {
        Weights c = w.pack(arena, pool);
        if (c.packed() != null) OsMemory.release(c.data());
        return c;
    }

    /** Whether the output projection is the token embedding matrix. */
    public boolean tiedEmbeddings() { return output.data() == tokenEmbedding.data(); }

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
    public static LlamaWeights of(GgufFile f, ModelConfig c) {
        int dim = c.dim(), q = c.qDim(), kv = c.kvDim(), ff = c.feedForwardLength();
        GgufTensor emb = require(f, "token_embd.weight", dim, c.vocabSize());
        if (!Codecs.supports(emb.type())) {
            throw new ModelConfigException("token_embd.weight is " + emb.type() + ", which has no codec (supported: " + Codecs.supportedTypes() + ")");
        }
        GgufTensor out = f.findTensor("output.weight");
        Weights output = out == null ? Weights.of(emb) : matrix(f, "output.weight", dim, c.vocabSize());
        MemorySegment ropeFreqs = f.findTensor("rope_freqs.weight") == null ? null : vector(f, "rope_freqs.weight", c.ropeDim() / 2);
        Layer[] layers = new Layer[c.blockCount()];
        for (int i = 0; i < layers.length; i++) {
            String p = "blk." + i + ".";
            layers[i] = new Layer(
                    vector(f, p + "attn_norm.weight", dim),
                    matrix(f, p + "attn_q.weight", dim, q),
                    matrix(f, p + "attn_k.weight", dim, kv),
                    matrix(f, p + "attn_v.weight", dim, kv),
                    matrix(f, p + "attn_output.weight", q, dim),
                    c.qkvBias() ? vector(f, p + "attn_q.bias", q) : null,
                    c.qkvBias() ? vector(f, p + "attn_k.bias", kv) : null,
                    c.qkvBias() ? vector(f, p + "attn_v.bias", kv) : null,
                    c.qkNorm() ? vector(f, p + "attn_q_norm.weight", c.headDim()) : null,
                    c.qkNorm() ? vector(f, p + "attn_k_norm.weight", c.headDim()) : null,
                    vector(f, p + "ffn_norm.weight", dim),
                    matrix(f, p + "ffn_gate.weight", dim, ff),
                    matrix(f, p + "ffn_up.weight", dim, ff),
                    matrix(f, p + "ffn_down.weight", ff, dim));
        }
        return new LlamaWeights(emb, vector(f, "output_norm.weight", dim), output, ropeFreqs, layers);
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
        if (cols % t.type().blockSize() != 0) {
            throw new ModelConfigException("tensor '" + name + "': " + cols + " columns are not whole " + t.type() + " blocks");
        }
        if (!MatMul.supports(t.type())) {
            throw new ModelConfigException("tensor '" + name + "' is " + t.type() + ", a type vera4j cannot run (supported: "
                    + Codecs.supportedTypes() + ")");
        }
        return Weights.of(t);
    }

    private static MemorySegment vector(GgufFile f, String name, int n) {
        GgufTensor t = require(f, name, n);
        if (t.type() != GgmlType.F32) throw new ModelConfigException("tensor '" + name + "' is " + t.type() + ", expected F32");
        return t.data();
    }
}
