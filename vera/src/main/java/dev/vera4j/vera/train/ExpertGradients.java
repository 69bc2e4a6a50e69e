package dev.vera4j.vera.train;

import dev.vera4j.engine.backend.cpu.ExpertChoice;
import dev.vera4j.engine.model.LinearSite;
import dev.vera4j.engine.model.ModelWeights;
import dev.vera4j.engine.model.ModelConfig;

import java.util.Arrays;

/**
 * The gradients of a mixture-of-experts layer's routed experts, as Hugging Face's training takes them: through each
 * token's chosen experts (their SwiGLU, and the λ's of adapted expert sites), and through the routing weights — the
 * chosen experts' softmax probabilities, renormalized when the model does — into the router's logits and, the router
 * being frozen, on into the layer's normalized input ({@code W_routerᵀ · ∂L/∂logits}). Which experts are chosen is
 * not differentiable and stays as the forward pass chose it ({@link ExpertChoice} again, from the recorded logits);
 * the auxiliary load-balancing loss, off by default in Hugging Face, is not added.
 *
 * <p>Per expert the rows of its tokens are gathered, as in the forward pass, so each frozen matrix is read once per
 * step ({@link TransposedProduct}). Allocates nothing per call.
 *
 * <pre>{@code
 * ExpertGradients eg = new ExpertGradients(config, maxSeq, tp, sites);
 * eg.backward(layer, weights, n, routerLogits, hf, gate, up, mix, out, dy, dhf);   // dhf += ∂L/∂hf
 * }</pre>
 */
final class ExpertGradients {
    private final ModelConfig c;
    private final TransposedProduct tp;
    private final SiteBackward sites;
    private final ExpertChoice choice;
    /** One expert's gathered rows: inputs, gate, up, mix, output gradients, mix and input gradients. */
    private final float[] xs, gs, us, ms, dOut, dMix, dGate, dUp, dIn;
    /** Per slot the gradient of its routing weight; per token the router logits' gradients. */
    private final float[] dWeight, dLogits;

    ExpertGradients(ModelConfig c, int maxSeq, TransposedProduct tp, SiteBackward sites) {
        this.c = c;
        this.tp = tp;
        this.sites = sites;
        int dim = c.dim(), ff = c.experts().feedForwardLength(), used = c.experts().used();
        choice = new ExpertChoice(c.experts(), maxSeq);
        xs = new float[maxSeq * dim];
        dOut = new float[maxSeq * dim];
        dIn = new float[maxSeq * dim];
        gs = new float[maxSeq * ff];
        us = new float[maxSeq * ff];
        ms = new float[maxSeq * ff];
        dMix = new float[maxSeq * ff];
        dGate = new float[maxSeq * ff];
        dUp = new float[maxSeq * ff];
        dWeight = new float[maxSeq * used];
        dLogits = new float[maxSeq * c.experts().count()];
    }

    /**
     * Adds to {@code dhf} the gradient of the routed experts' weighted sum for {@code n} tokens, from {@code dy} (of
     * that sum), the recorded router logits and the slot-ordered expert activations ({@code gate}, {@code up},
     * {@code mix}: {@code n·used × ff}; {@code out}: {@code n·used × dim}) and the layer's normalized input {@code hf}.
     */
    void backward(int layer, ModelWeights.ExpertWeights m, int n, float[] logits, float[] hf, float[] gate, float[] up,
                  float[] mix, float[] out, float[] dy, float[] dhf) {
        int dim = c.dim(), ff = c.experts().feedForwardLength(), used = c.experts().used();
        choice.route(logits, n);
        for (int s = 0; s < n * used; s++) dWeight[s] = TrainOps.dot(dy, (s / used) * dim, out, s * dim, dim);
        for (int e = 0; e < c.experts().count(); e++) {
            int g0 = choice.groupStart(e), rows = choice.groupEnd(e) - g0;
            if (rows == 0) continue;
            for (int i = 0; i < rows; i++) {
                int slot = choice.grouped(g0 + i), t = slot / used;
                System.arraycopy(hf, t * dim, xs, i * dim, dim);
                System.arraycopy(gate, slot * ff, gs, i * ff, ff);
                System.arraycopy(up, slot * ff, us, i * ff, ff);
                System.arraycopy(mix, slot * ff, ms, i * ff, ff);
                float w = choice.weight(slot);
                for (int d = 0; d < dim; d++) dOut[i * dim + d] = w * dy[t * dim + d];
            }
            Arrays.fill(dMix, 0, rows * ff, 0f);
            tp.accumulate(m.down()[e], dOut, rows, dMix);
            sites.backward(layer, LinearSite.Kind.DOWN_EXP, e, ms, dOut, dMix, rows, ff, dim);
            TrainOps.swigluBackward(gs, us, dMix, dGate, dUp, rows * ff);
            Arrays.fill(dIn, 0, rows * dim, 0f);
            tp.accumulate(m.gate()[e], dGate, rows, dIn);
            sites.backward(layer, LinearSite.Kind.GATE_EXP, e, xs, dGate, dIn, rows, dim, ff);
            tp.accumulate(m.up()[e], dUp, rows, dIn);
            sites.backward(layer, LinearSite.Kind.UP_EXP, e, xs, dUp, dIn, rows, dim, ff);
            for (int i = 0; i < rows; i++) {
                int t = choice.grouped(g0 + i) / used;
                for (int d = 0; d < dim; d++) dhf[t * dim + d] += dIn[i * dim + d];
            }
        }
        routerBackward(n);
        tp.accumulate(m.router(), dLogits, n, dhf);
    }

    /**
     * From the routing weights' gradients to the router logits': through the renormalization {@code w_j = p_j / Σ p}
     * (when the model renormalizes), then the softmax over all experts (unchosen ones have no gradient of their own).
     */
    private void routerBackward(int n) {
        int count = c.experts().count(), used = c.experts().used();
        for (int t = 0; t < n; t++) {
            int s0 = t * used, l0 = t * count;
            Arrays.fill(dLogits, l0, l0 + count, 0f);
            double sumP = 0, dot = 0;
            for (int j = 0; j < used; j++) {
                sumP += choice.probability(t, choice.expert(s0 + j));
                dot += (double) dWeight[s0 + j] * choice.weight(s0 + j);
            }
            // dLogits first holds ∂L/∂p of the chosen experts
            for (int j = 0; j < used; j++) {
                double dp = c.experts().normalizeWeights() ? (dWeight[s0 + j] - dot) / sumP : dWeight[s0 + j];
                dLogits[l0 + choice.expert(s0 + j)] = (float) dp;
            }
            double pdp = 0;
            for (int e = 0; e < count; e++) pdp += (double) choice.probability(t, e) * dLogits[l0 + e];
            for (int e = 0; e < count; e++) dLogits[l0 + e] = (float) (choice.probability(t, e) * (dLogits[l0 + e] - pdp));
        }
    }
}
