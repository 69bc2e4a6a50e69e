package dev.vera4j.tools.hub;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Download progress on standard error. On a terminal, one line redrawn at most five times a second:
 * {@code model-Q4_0.gguf  41% 312.0/760.2 MiB  18.3 MiB/s  ETA 0:24}; elsewhere (a log, a pipe) one line when a file
 * starts and one when it ends, so logs stay short.
 *
 * <pre>{@code
 * DownloadBar bar = DownloadBar.on(System.err, System.console() != null);
 * hub.download(repo, file, target, bar);
 * }</pre>
 */
public final class DownloadBar {

    private final PrintStream err;
    private final boolean tty;
    private String name;
    private long total, done, startDone, startNanos, lastDraw;

    DownloadBar(PrintStream err, boolean tty) {
        this.err = err;
        this.tty = tty;
    }

    /** A bar that prints nothing. */
    public static DownloadBar none() { return new DownloadBar(null, false); }

    /** A bar on {@code err}; {@code tty} chooses the redrawn line. */
    public static DownloadBar on(PrintStream err, boolean tty) { return new DownloadBar(err, tty); }

    void start(String name, long total, long already) {
        this.name = name;
        this.total = total;
        this.done = already;
        this.startDone = already;
        this.startNanos = System.nanoTime();
        this.lastDraw = 0;
        if (err == null) return;
        if (!tty) {
            err.println("downloading " + name + " (" + mib(total) + (already > 0 ? ", resuming at " + mib(already) : "") + ")");
        } else {
            draw(true);
        }
    }

    void advance(long bytes) {
        done += bytes;
        if (tty && err != null) draw(false);
    }

    /** The server sent the whole file again: count from zero. */
    void restart() {
        done = 0;
        startDone = 0;
        startNanos = System.nanoTime();
    }

    void note(String text) {
        if (err == null) return;
        if (tty) err.print("\r\033[K");
        err.println(name + ": " + text);
        err.flush();
    }

    void finish(boolean ok) {
        if (err == null) return;
        if (tty) {
            draw(true);
            err.println();
        } else if (ok) {
            err.println("downloaded " + name + " (" + mib(done) + " in " + seconds((System.nanoTime() - startNanos) / 1e9) + ")");
        }
        err.flush();
    }

    /** The bar's text for the current state. */
    String line() {
        double secs = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
        double rate = (done - startDone) / secs;
        String eta = rate > 0 && done < total ? "  ETA " + seconds((total - done) / rate) : "";
        int pct = total == 0 ? 100 : (int) (100 * done / total);
        return String.format(Locale.ROOT, "%s %3d%% %s/%s  %s/s%s", name, pct, mibNumber(done), mib(total), mib((long) rate), eta);
    }

    private void draw(boolean force) {
        long now = System.nanoTime();
        if (!force && now - lastDraw < 200_000_000L) return;
        lastDraw = now;
        err.print("\r\033[K" + line());
        err.flush();
    }

    private static String mibNumber(long bytes) { return String.format(Locale.ROOT, "%.1f", bytes / 1048576.0); }

    private static String mib(long bytes) { return mibNumber(bytes) + " MiB"; }

    private static String seconds(double s) {
        long t = Math.round(s);
        return t >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60)
                : String.format(Locale.ROOT, "%d:%02d", t / 60, t % 60);
    }
}
