package dev.vera4j.tools;

import dev.vera4j.simd.WorkerPool;

import java.io.PrintStream;

/**
 * The {@code -t/--threads N} option shared by the commands that run a model: all processors by default, and a warning
 * for more threads than processors (the extra threads only wait for a core, and every step waits for the slowest).
 *
 * <pre>{@code
 * int threads = ThreadsOption.of(args, err);
 * }</pre>
 */
final class ThreadsOption {
    private ThreadsOption() {}

    /** @throws UsageException for a value outside 1..1024 */
    static int of(Args a, PrintStream err) {
        int cores = WorkerPool.defaultThreads();
        int n = a.getInt("threads", cores, 1, 1024);
        if (n > cores) {
            err.println("warning: " + a.flag("threads") + " " + n + " is more than the " + cores
                    + " processors here; the extra threads wait for a core and slow each step down");
        }
        return n;
    }
}
