package dev.vera4j.simd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the one-token kernels of a model's matrices on small stand-ins, on a thread of its own, while the model
 * loads: the JIT compiles a kernel only after it has run many times, and a kernel that first runs on the whole model
 * keeps a process's first token waiting for C2 (about a second on two cores). The stand-ins have each matrix's type and
 * width, {@link #ROWS} rows, and a packed copy of zeros in native memory as the model's matrices have packed copies in
 * native memory, so their products take the same code paths (zeros are values like any others to every kernel); only
 * matrices that get a packed copy are primed ({@link #standIns} says why). Closing stops the thread (after the product
 * it is in) and waits for it.
 *
 * <p>The CLI's launchers also lower C2's call thresholds for this package ({@code -XX:CompileCommand=
 * CompileThresholdScaling,dev/vera4j/simd/*.*,0.02}), so that {@link #ITERATIONS} products reach them.
 *
 * <pre>{@code
 * try (KernelPrimer primer = KernelPrimer.start(weights.matrices())) {
 *     // read the tokenizer and the packed copies meanwhile
 * }
 * }</pre>
 */
public final class KernelPrimer implements AutoCloseable {
    /** Rows of each stand-in: whole row groups of every packed layout. */
    static final int ROWS = 32;
    /** Products per stand-in: past C2's thresholds under the launchers' scaling (about 100 calls), and soon done. */
    static final int ITERATIONS = 150;

    private final List<Weights> standIns;
    private final Thread thread;
    private volatile boolean stop;
    private volatile int products;

    private KernelPrimer(List<Weights> standIns) {
        this.standIns = standIns;
        this.thread = Thread.ofPlatform().daemon().name("vera4j-kernel-primer").start(this::run);
    }

    /**
     * Starts priming the kernels of {@code matrices}: one stand-in per distinct type and width of those that get a
     * packed copy ({@link #standIns}).
     */
    public static KernelPrimer start(Collection<Weights> matrices) {
        return new KernelPrimer(standIns(matrices));
    }

    /**
     * A stand-in per distinct type and width of {@code matrices} that gets a packed copy: {@link #ROWS} rows of zeros in
     * native memory, as the copies are. Matrices whose products read the model's mapping (Q8_0, the float types, any
     * type on a CPU without the packed kernels) get none: priming Q8_0's kernel on zeros in native memory made the 1B
     * Q8_0 file decode at 8–10 tokens/s instead of 24, its vector loads compiled for two segment classes (native
     * stand-ins, mapped rows). {@link Weights} now sees mapped rows as native memory too, so that cause is gone; the
     * primer still takes only the kernels measured with it.
     */
    static List<Weights> standIns(Collection<Weights> matrices) {
        Map<String, Weights> byShape = new LinkedHashMap<>();
        Arena arena = Arena.ofAuto();
        for (Weights w : matrices) {
            if (w == null || !packed(w)) continue;
            byShape.computeIfAbsent(w.type() + "x" + w.cols(), k -> {
                MemorySegment zeros = arena.allocate(ROWS * w.rowBytes(), 64);
                return new Weights(zeros, w.type(), ROWS, w.cols(), zeros);
            });
        }
        return new ArrayList<>(byShape.values());
    }

    /** Whether {@code w} will be read from a packed copy ({@link Weights#pack}), judged by its type and shape. */
    private static boolean packed(Weights w) {
        PackedLayout layout = KernelTable.layout(w.type());
        return Weights.packingEnabled() && layout != null && layout.acceptsShape(w.rows(), w.cols()) && layout.acceptsShape(ROWS, w.cols());
    }

    private void run() {
        int maxCols = 1;
        for (Weights w : standIns) maxCols = Math.max(maxCols, w.cols());
        float[] x = new float[maxCols], y = new float[ROWS];
        // activations of mixed signs and sizes: an all-zero input would take the quantizer's zero-block branch only
        for (int i = 0; i < maxCols; i++) x[i] = (float) Math.sin(0.7 * i) * (1 + i % 5);
        try (WorkerPool pool = new WorkerPool(1)) {
            MatMul products = new MatMul(pool, maxCols, 1);
            for (int it = 0; it < ITERATIONS; it++) {
                for (Weights w : standIns) {
                    if (stop) return;
                    products.matMul(w, x, 0, y, 0, 1);
                    this.products++;
                }
            }
        }
    }

    /** Products run so far (for tests). */
    int products() { return products; }

    /** Whether its thread still runs (for tests). */
    boolean running() { return thread.isAlive(); }

    /** Stops the priming after the product in progress and waits for its thread. */
    @Override
    public void close() {
        stop = true;
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }
}
