package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the one-token kernels of a model's matrices on small zeroed stand-ins, on a thread of its own, while the model
 * loads: the JIT compiles a kernel only after it has run many times, and a kernel that first runs on the whole model
 * keeps a process's first token waiting for C2 (about a second on two cores). The stand-ins have each matrix's type and
 * width, {@link #ROWS} rows, and a packed copy where the real matrix gets one, so the products take the same code
 * path as the model's; their values are zeros, which every kernel reads like any others. Closing stops the thread
 * (after the product it is in) and waits for it.
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
     * Starts priming the kernels of {@code matrices}, one stand-in per distinct type and width (those without a kernel
     * are left out: their products dequantize rows).
     */
    public static KernelPrimer start(Collection<Weights> matrices) {
        return new KernelPrimer(standIns(matrices));
    }

    /** A zeroed matrix of {@link #ROWS} rows per distinct type and width of {@code matrices}, packed where those are. */
    static List<Weights> standIns(Collection<Weights> matrices) {
        Map<String, Weights> byShape = new LinkedHashMap<>();
        Arena arena = Arena.ofAuto();
        for (Weights w : matrices) {
            if (w == null || KernelTable.of(w.type()) == null) continue;
            byShape.computeIfAbsent(w.type() + "x" + w.cols(), k -> standIn(w.type(), w.cols(), arena));
        }
        return new ArrayList<>(byShape.values());
    }

    private static Weights standIn(GgmlType type, int cols, Arena arena) {
        MemorySegment zeros = arena.allocate((long) ROWS * type.bytesFor(cols), 64);
        PackedLayout layout = KernelTable.layout(type);
        boolean packed = Weights.packingEnabled() && layout != null && layout.acceptsShape(ROWS, cols);
        return new Weights(zeros, type, ROWS, cols, packed ? zeros : null);
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
