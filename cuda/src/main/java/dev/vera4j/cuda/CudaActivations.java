package dev.vera4j.cuda;

import dev.vera4j.engine.backend.Activations;

import java.util.Arrays;

/**
 * The {@link CudaBackend}'s scratch: a {@link CudaForward} (its stream, kernels and device buffers for passes of up to
 * {@link #maxTokens()} tokens) and the host arrays a step fills without allocating (one entry's token ids, the
 * adapters of the sequence being run). Freed by {@link #close}, or with its backend.
 *
 * <pre>{@code
 * try (Activations act = backend.newActivations(512, 2048, false)) {   // CudaActivations
 *     backend.step(act, batch, logits);
 * }
 * }</pre>
 */
public final class CudaActivations implements Activations {
    private final CudaBackend backend;
    private final CudaForward forward;
    private final int maxContext;
    /** One batch entry's tokens, copied out of the {@link dev.vera4j.engine.backend.Batch} for the pass. */
    final int[] tokens;
    /** The adapters of the sequence being run; grows (on the heap) with the most adapters a sequence has had. */
    DeviceVeraAdapter[] adapters = new DeviceVeraAdapter[4];
    private boolean closed;

    CudaActivations(CudaBackend backend, CudaForward forward, int maxContext) {
        this.backend = backend;
        this.forward = forward;
        this.maxContext = maxContext;
        this.tokens = new int[forward.maxBatch()];
    }

    CudaBackend backend() { return backend; }

    /** The pass; only while open. */
    CudaForward forward() {
        if (closed) throw new IllegalStateException("the activations are closed");
        return forward;
    }

    boolean isClosed() { return closed; }

    /** Room for {@code n} adapters in {@link #adapters}. */
    void ensureAdapters(int n) {
        if (n > adapters.length) adapters = Arrays.copyOf(adapters, Math.max(n, 2 * adapters.length));
    }

    @Override
    public int maxTokens() { return forward.maxBatch(); }

    @Override
    public int maxContext() { return maxContext; }

    /** Frees the device memory, the stream and the loaded kernels. */
    @Override
    public void close() {
        synchronized (backend) {
            if (closed) return;
            closed = true;
            backend.forget(this);
            forward.close();
        }
    }
}
