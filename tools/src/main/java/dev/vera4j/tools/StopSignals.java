package dev.vera4j.tools;

import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * SIGINT (Ctrl-C) and SIGTERM as a request to stop, for commands that run until told to (the server): the first
 * signal releases {@link #await()}, so the command can drain and exit 0; a second one exits at once. The previous
 * handlers come back on {@link #close()}.
 *
 * <pre>{@code
 * try (StopSignals stop = StopSignals.install(System.err)) {
 *     stop.await();          // until Ctrl-C or kill
 *     server.shutdown(Duration.ofSeconds(30));
 * }
 * }</pre>
 */
final class StopSignals implements AutoCloseable {
    private final CountDownLatch stop = new CountDownLatch(1);
    private final PrintStream err;
    private final List<Signal> signals = new ArrayList<>();
    private final List<SignalHandler> previous = new ArrayList<>();

    private StopSignals(PrintStream err) {
        this.err = err;
        for (String name : new String[] {"INT", "TERM"}) {
            try {
                Signal s = new Signal(name);
                previous.add(Signal.handle(s, this::onSignal));
                signals.add(s);
            } catch (IllegalArgumentException e) {
                // not on this platform, or reserved by the JVM (-Xrs): the default stays
            }
        }
    }

    static StopSignals install(PrintStream err) { return new StopSignals(err); }

    private void onSignal(Signal s) {
        if (stop.getCount() == 0) {
            err.println("second SIG" + s.getName() + ": exiting without waiting");
            err.flush();
            Runtime.getRuntime().halt(1);
        }
        stop.countDown();
    }

    /** Blocks until a signal came (or {@link #trigger()} was called). */
    void await() throws InterruptedException { stop.await(); }

    /** Acts as if a signal came. */
    void trigger() { stop.countDown(); }

    @Override
    public void close() {
        for (int i = 0; i < signals.size(); i++) Signal.handle(signals.get(i), previous.get(i));
    }
}
