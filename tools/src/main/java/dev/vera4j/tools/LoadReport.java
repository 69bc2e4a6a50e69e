package dev.vera4j.tools;

import dev.vera4j.engine.Vera4j;
import dev.vera4j.engine.api.ModelInfo;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * What {@code chat} and {@code generate} say when they load a model: architecture, size, quantization, threads, SIMD
 * width, context and a memory estimate; without the Vector API module it refuses to go on (the kernels need it).
 * Nothing with {@code --quiet}.
 *
 * <pre>{@code
 * LoadReport.requireVectorApi();   // before the load
 * ModelInfo info = model.info();
 * LoadReport.print(info, 2048, MemoryEstimate.of(model, info.fileBytes(), info.kvCacheBytes(2048, 2)), err);
 * }</pre>
 */
final class LoadReport {
    private LoadReport() {}

    /** Fails with a one-line message where the JVM runs without the Vector API module, before a load that would be in vain. */
    static void requireVectorApi() {
        if (Vera4j.simdLanes() == 0) throw new IllegalStateException(Vera4j.VECTOR_API_MISSING);
    }

    /** Prints two lines (and a warning for a context longer than the model's), with {@code memory} measured after the load. */
    static void print(ModelInfo i, int contextLength, MemoryEstimate memory, PrintStream err) {
        err.printf(Locale.ROOT, "model: %s (%s, %d layers), %s parameters, %s, %s%n", i.name(), i.architecture(), i.blockCount(),
                Numbers.human(i.parameters()), Numbers.bytes(i.fileBytes()), i.quantization());
        // the kernels' block layouts use 8 or 16 float lanes; otherwise (or with -Dvera4j.scalar) they run scalar
        boolean vector = (i.simdLanes() == 8 || i.simdLanes() == 16) && !dev.vera4j.simd.Tuning.SCALAR;
        String simd = vector ? "SIMD " + i.simdLanes() + " float lanes (" + i.simdLanes() * 32 + "-bit)"
                : "scalar kernels (Vector API width " + i.simdLanes() + " floats not used)";
        err.printf(Locale.ROOT, "run: %d threads, %s, context %d of %d, %s%n", i.threads(), simd, contextLength, i.contextLength(),
                memory.describe());
        if (i.contextLength() > 0 && contextLength > i.contextLength()) {
            err.println("warning: context " + contextLength + " is longer than the " + i.contextLength()
                    + " the model was trained for; expect worse text past that");
        }
    }

    /** One line per adapter: file, rank, targets, weight and size ({@code adapter: pip.vera.gguf, VeRA r=32 on q,v, weight 0.8, 12 KiB}). */
    static void printAdapters(List<AdapterOptions.Described> adapters, PrintStream err) {
        for (AdapterOptions.Described d : adapters) {
            err.printf(Locale.ROOT, "adapter: %s, %s r=%d on %s, weight %s, %s (%s trainable values)%n", d.path(), d.method(), d.rank(),
                    String.join(",", d.targets()), (d.weight() == (int) d.weight() ? Integer.toString((int) d.weight()) : Float.toString(d.weight())), Numbers.bytes(d.bytes()), Numbers.human(d.parameters()));
        }
    }
}
