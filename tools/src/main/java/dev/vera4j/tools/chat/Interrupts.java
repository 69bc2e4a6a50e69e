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

    private Interrupts(Runnable cancel, java.io.PrintStream err, boolean register) {
        this.cancel = cancel;
        this.err = err;
        SignalHandler old = null;
        if (register) {
            try {
                old = Signal.handle(new Signal("INT"), s -> signal());
            } catch (IllegalArgumentException e) {
                old = null;   // no SIGINT on this platform, or the JVM reserves it (-Xrs): Ctrl-C keeps its default
            }
        }
        this.previous = old;
    }

    /** Handles SIGINT until {@link #close()}; {@code cancel} stops the current answer. */
    public static Interrupts install(Runnable cancel, java.io.PrintStream err) { return new Interrupts(cancel, err, true); }

    /**
     * The same handling for a caller that receives Ctrl-C itself and calls {@link #signal()} (the line editor's terminal,
     * which owns SIGINT while it reads a line).
     */
    public static Interrupts manual(Runnable cancel, java.io.PrintStream err) { return new Interrupts(cancel, err, false); }

    /** Whether an answer is being generated (Ctrl-C cancels it) or the REPL waits for input. */
    public void generating(boolean on) { generating = on; }

    /** One Ctrl-C: cancels the answer being generated, else hints (and a second press within two seconds exits). */
    public void signal() {
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
