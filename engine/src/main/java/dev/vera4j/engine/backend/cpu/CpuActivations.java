package dev.vera4j.engine.backend.cpu;

import dev.vera4j.engine.backend.Activations;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.simd.MatMul;
import dev.vera4j.simd.Rope;

/**
 * The CPU backend's scratch memory for steps of at most {@code maxTokens} tokens over caches of at most
 * {@code maxContext} positions: heap arrays of the residual stream and projections, a {@link MatMul} (its int8
 * activations), the RoPE tables and the {@link Attention} of a step. Allocated once; a step allocates nothing. One
 * step at a time.
 */
public final class CpuActivations implements Activations {
    final CpuBackend backend;
    final int maxTokens;
    final int maxContext;
    final MatMul matMul;
    final float[] x, xb, mix, q, k, v, gate, up;
    final Rope rope;
    final Attention attention;

    CpuActivations(CpuBackend backend, int maxTokens, int maxContext, boolean fixedOrder) {
        ModelConfig c = backend.config();
        if (maxTokens < 1 || maxContext < 1) throw new IllegalArgumentException("maxTokens and maxContext must be positive");
        this.backend = backend;
        this.maxTokens = maxTokens;
        this.maxContext = maxContext;
        int wide = Math.max(c.dim(), Math.max(c.qDim(), c.feedForwardLength()));
        this.matMul = new MatMul(backend.pool(), wide, maxTokens, fixedOrder);
        x = new float[maxTokens * c.dim()];
        xb = new float[maxTokens * Math.max(c.dim(), c.qDim())];
        mix = new float[maxTokens * c.qDim()];
        q = new float[maxTokens * c.qDim()];
        k = new float[maxTokens * c.kvDim()];
        v = new float[maxTokens * c.kvDim()];
        gate = new float[maxTokens * c.feedForwardLength()];
        up = new float[maxTokens * c.feedForwardLength()];
        rope = backend.newRope();
        attention = new Attention(c, maxTokens, maxContext, q, mix);
    }

    @Override
    public int maxTokens() { return maxTokens; }

    @Override
    public int maxContext() { return maxContext; }
}
