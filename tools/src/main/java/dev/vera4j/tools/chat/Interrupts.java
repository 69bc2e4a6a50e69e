package dev.vera4j.tools.chat;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Ctrl-C for the chat REPL: while an answer is generated, SIGINT cancels it and the REPL goes on; at the prompt, one
 * press prints a hint and a second within two seconds exits (code 130, as shells expect). Installed for the REPL's
 * lifetime, then the previous handler is restored.
 *
 * <pre>{@code
 * try (Interrupts ctrlC = Interrupts.install(chat::cancel, err)) {
 *     ctrlC.generating(true);
 *     chat.send(line, out::print);
 *     ctrlC.generating(false);
 * }
 * }</pre>
 */
public final class Interrupts implements AutoCloseable {
    private final Runnable cancel;
    private final java.io.PrintStream err;
    private final SignalHandler previous;
    private volatile boolean generating;
    private volatile long lastIdlePress;

    private Interrupts(Runnable cancel, java.io.PrintStream err) {
        this.cancel = cancel;
        this.err = err;
        SignalHandler old;
        try {
            old = Signal.handle(new Signal("INT"), this::onSignal);
        } catch (IllegalArgumentException e) {
            old = null;   // no SIGINT on this platform, or the JVM reserves it (-Xrs): Ctrl-C keeps its default
        }
        this.previous = old;
    }

    /** Handles SIGINT until {@link #close()}; {@code cancel} stops the current answer. */
    public static Interrupts install(Runnable cancel, java.io.PrintStream err) { return new Interrupts(cancel, err); }

    /** Whether an answer is being generated (Ctrl-C cancels it) or the REPL waits for input. */
    public void generating(boolean on) { generating = on; }

    private void onSignal(Signal s) {
        if (generating) {
            cancel.run();
            return;
        }
        long now = System.nanoTime();
        if (lastIdlePress != 0 && now - lastIdlePress < 2_000_000_000L) {
            err.println();
            err.flush();
            Runtime.getRuntime().halt(130);
        }
        lastIdlePress = now;
        err.println();
        err.println("(Ctrl-C again, Ctrl-D or /quit exits)");
        err.flush();
    }

    @Override
    public void close() {
        if (previous != null) Signal.handle(new Signal("INT"), previous);
    }
}
