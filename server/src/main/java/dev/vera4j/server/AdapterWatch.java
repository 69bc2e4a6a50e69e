package dev.vera4j.server;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.concurrent.TimeUnit;

/**
 * Picks up adapters dropped into (or removed from) the adapter directory without a restart: on any change it waits
 * until the directory has been quiet for a moment (a file being copied in changes many times) and rescans it.
 *
 * <pre>{@code
 * try (AdapterWatch w = AdapterWatch.start(directory, System.err)) { ... }
 * }</pre>
 */
final class AdapterWatch implements AutoCloseable {
    private static final long QUIET_MILLIS = 300;
    private final WatchService watcher;
    private final Thread thread;

    private AdapterWatch(WatchService watcher, AdapterDirectory directory, PrintStream log) {
        this.watcher = watcher;
        this.thread = Thread.ofPlatform().name("vera4j-adapter-watch").daemon(true).start(() -> run(directory, log));
    }

    /** Watches {@code directory}; changes and refusals are reported on {@code log}. */
    static AdapterWatch start(AdapterDirectory directory, PrintStream log) throws IOException {
        WatchService w = FileSystems.getDefault().newWatchService();
        directory.dir().register(w, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
                StandardWatchEventKinds.ENTRY_MODIFY);
        return new AdapterWatch(w, directory, log);
    }

    private void run(AdapterDirectory directory, PrintStream log) {
        try {
            while (true) {
                WatchKey key = watcher.take();
                do {
                    key.pollEvents();
                    key.reset();
                } while ((key = watcher.poll(QUIET_MILLIS, TimeUnit.MILLISECONDS)) != null);
                try {
                    Reports.scan(directory.rescan(), log);
                } catch (RuntimeException e) {
                    log.println("adapters: " + e.getMessage());
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed
        }
    }

    @Override
    public void close() throws IOException {
        watcher.close();
        thread.interrupt();
    }
}
