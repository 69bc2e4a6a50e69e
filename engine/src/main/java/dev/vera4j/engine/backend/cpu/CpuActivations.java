package dev.vera4j.engine.backend.cpu;

import dev.vera4j.engine.backend.Activations;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.engine.model.RopeFrequencies;
import dev.vera4j.simd.MatMul;
import dev.vera4j.simd.Rope;

/**
 * The CPU backend's scratch memory for steps of at most {@code maxTokens} tokens over caches of at most
 * {@code maxContext} positions: heap arrays of the residual stream and projections, a {@link MatMul} (its int8
 * activations), the RoPE tables of each kind of layer and the {@link Attention} of a step; for mixture-of-experts
 * models the router's logits and choice and one expert's rows. Allocated once; a step allocates nothing (the
 * token-ordered copies of the experts' activations that a recorder sees are allocated on its first step). One step at
 * a time.
 */
public final class CpuActivations implements Activations {
    final CpuBackend backend;
    final int maxTokens;
    final int maxContext;
    final MatMul matMul;
    /** Residual stream, normed input, attention mix, q, k, v ({@code tokens × width}). */
    final float[] x, xb, mix, q, k, v;
    /** The gated FFN's hidden rows (of the dense FFN, one expert or the shared expert) and the FFN's output. */
    final float[] gate, up, out;
    /** One RoPE per {@link RopeFrequencies.Kind} the model uses, else null. */
    final Rope[] ropes;
    final Attention attention;
    /** Mixture of experts (else null): router logits, the choice, one expert's input and output rows, shared-expert gate logits. */
    final float[] router, expertIn, expertOut, sharedLogit;
    final ExpertChoice choice;
    /** The experts' hidden and output rows in slot order, for recorders; allocated when a recorder first needs them. */
    float[] slotGate, slotUp, slotMix, slotOut;

    CpuActivations(CpuBackend backend, int maxTokens, int maxContext, boolean fixedOrder) {
        ModelConfig c = backend.config();
        if (maxTokens < 1 || maxContext < 1) throw new IllegalArgumentException("maxTokens and maxContext must be positive");
        this.backend = backend;
        this.maxTokens = maxTokens;
        this.maxContext = maxContext;
        int ff = c.maxFeedForward();
        int wide = Math.max(c.dim(), Math.max(c.qDim(), ff));
        this.matMul = new MatMul(backend.pool(), wide, maxTokens, fixedOrder);
        x = new float[maxTokens * c.dim()];
        xb = new float[maxTokens * Math.max(c.dim(), c.qDim())];
        mix = new float[maxTokens * c.qDim()];
        q = new float[maxTokens * c.qDim()];
        k = new float[maxTokens * c.kvDim()];
        v = new float[maxTokens * c.kvDim()];
        gate = new float[maxTokens * ff];
        up = new float[maxTokens * ff];
        out = new float[maxTokens * c.dim()];
        ropes = backend.newRopes();
        attention = new Attention(c, maxTokens, maxContext, q, mix);
        boolean moe = c.moe();
        router = moe ? new float[maxTokens * c.experts().count()] : null;
        expertIn = moe ? new float[maxTokens * c.dim()] : null;
        expertOut = moe ? new float[maxTokens * c.dim()] : null;
        sharedLogit = moe ? new float[maxTokens] : null;
        choice = moe ? new ExpertChoice(c.experts(), maxTokens) : null;
    }

    /** Allocates the slot-ordered copies of the experts' activations, once. */
    void needSlotRows(ModelConfig c) {
        if (slotGate != null) return;
        int slots = maxTokens * c.experts().used(), ff = c.experts().feedForwardLength();
        slotGate = new float[slots * ff];
        slotUp = new float[slots * ff];
        slotMix = new float[slots * ff];
        slotOut = new float[slots * c.dim()];
    }

    @Override
    public int maxTokens() { return maxTokens; }

    @Override
    public int maxContext() { return maxContext; }
}
