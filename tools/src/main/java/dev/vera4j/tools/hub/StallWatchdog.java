package dev.vera4j.tools.hub;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;

/**
 * Ends a read that receives nothing for too long. The JDK's {@code HttpClient} times out waiting for response headers,
 * not for a body that stops arriving mid-file; this thread interrupts the reading thread (the body stream's blocked
 * read then throws an {@link IOException}) when no byte came for {@code stall}, and the download resumes from there.
 * Only a thread inside {@link #read} is interrupted, never one writing the file.
 */
final class StallWatchdog implements AutoCloseable {
    private final Thread reader;
    private final Thread watcher;
    private final long stallNanos;
    private volatile long readingSince = -1;   // -1 when not in a read

    StallWatchdog(Thread reader, Duration stall) {
        this.reader = reader;
        this.stallNanos = stall.toNanos();
        this.watcher = Thread.ofPlatform().daemon().name("vera4j-download-watchdog").start(this::watch);
    }

    private void watch() {
        try {
            while (true) {
                Thread.sleep(Math.max(10, Math.min(1000, stallNanos / 4_000_000)));
                synchronized (this) {
                    long since = readingSince;
                    if (since >= 0 && System.nanoTime() - since > stallNanos) {
                        readingSince = -1;
                        reader.interrupt();
                    }
                }
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    /** {@code in.read(buf)}, interrupted after {@code stall} without data. */
    int read(InputStream in, byte[] buf) throws IOException {
        readingSince = System.nanoTime();
        int n;
        try {
            n = in.read(buf);
        } finally {
            synchronized (this) {
                readingSince = -1;   // from here on the watcher leaves this thread alone
            }
        }
        if (Thread.interrupted()) throw new IOException("no data for " + stallNanos / 1_000_000_000 + " s");
        return n;
    }

    /** Clears an interrupt this watchdog caused, before the next attempt. */
    void clearInterrupt() {
        synchronized (this) {
            Thread.interrupted();
        }
    }

    @Override
    public void close() {
        watcher.interrupt();
        synchronized (this) {
            Thread.interrupted();
        }
    }
}
