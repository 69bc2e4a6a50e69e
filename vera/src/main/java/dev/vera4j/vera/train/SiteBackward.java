package dev.vera4j.vera.train;

import dev.vera4j.engine.model.LinearSite;

/**
 * The backward pass of an adapter's term at one engine site: given the projection's inputs {@code x} and output
 * gradients {@code dy} of {@code n} tokens, accumulate the adapter's parameter gradients and add its share of the
 * input gradient to {@code dx}. Sites the adapter does not adapt are ignored.
 */
interface SiteBackward {
    void backward(int layer, LinearSite.Kind kind, int expert, float[] x, float[] dy, float[] dx, int n, int in, int out);
}
