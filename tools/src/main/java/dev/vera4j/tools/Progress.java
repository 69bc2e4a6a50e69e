package dev.vera4j.tools;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress indication for steps that may take more than a second (loading a model): silent if the step ends within
 * a second, otherwise a line on {@code err} with the elapsed seconds, updated in place on a terminal.
 *
 * <pre>{@code
 * try (Progress p = Progress.start("loading model", err, System.console() != null)) {
 *     model = Vera4j.load(path);
 * }
 * }</pre>
 */
final class Progress implements AutoCloseable {
    private final Thread ticker;
    private final PrintStream err;
    private final boolean tty;
    private volatile boolean shown;

    private Progress(String label, PrintStream err, boolean tty) {
        this.err = err;
        this.tty = tty;
        long start = System.nanoTime();
        ticker = Thread.ofPlatform().daemon().name("vera4j-progress").unstarted(() -> {
            try {
                Thread.sleep(1000);
                do {
                    long s = (System.nanoTime() - start) / 1_000_000_000L;
                    synchronized (err) {
                        // a terminal gets a counter updated in place; a log gets one line
                        if (tty) err.print(String.format(Locale.ROOT, "\r%s... %ds", label, s));
                        else err.println(label + "...");
                        err.flush();
                    }
                    shown = true;
                    if (tty) Thread.sleep(1000);
                } while (tty);
            } catch (InterruptedException e) {
                // the step is done
            }
        });
        ticker.start();
    }

    /** Starts the indication for {@code label}; {@code tty} chooses in-place updates. */
    static Progress start(String label, PrintStream err, boolean tty) { return new Progress(label, err, tty); }

    @Override
    public void close() {
        ticker.interrupt();
        try {
            ticker.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (shown && tty) {
            err.print("\r\033[K");
            err.flush();
        }
    }
}
