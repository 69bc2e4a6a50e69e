package dev.vera4j.tools.hub;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Models from the hub in the local cache: {@link #pull} asks the hub and downloads what is missing; {@link #resolve}
 * (what {@code -m hf:REPO:QUANT} does) uses the cache when it already holds the model and pulls otherwise.
 *
 * <pre>{@code
 * HubModels models = new HubModels(new HubClient(settings), ModelCache.from(env), DownloadBar.on(err, tty), err);
 * Path gguf = models.resolve(HubRef.parse("hf:ggml-org/models:Q4_0"));
 * }</pre>
 */
public record HubModels(HubClient hub, ModelCache cache, DownloadBar bar, java.io.PrintStream log) {
    /** Lists {@code ref}'s repository, downloads each part of the chosen model not yet complete, returns the file to load. */
    public Path pull(HubRef ref) {
        List<HubFile> parts = QuantPicker.pick(hub.files(ref.repo()), ref);
        for (HubFile f : parts) {
            Path target = cache.fileOf(ref.repo(), f.path());
            if (isComplete(target, f)) {
                if (log != null) log.println(f.path() + " is already in the cache");
                continue;
            }
            hub.download(ref.repo(), f, target, bar);
        }
        return cache.fileOf(ref.repo(), parts.getFirst().path());
    }

    /** The cached model for {@code ref}, pulled first if the cache lacks it. */
    public Path resolve(HubRef ref) {
        Optional<Path> local = cache.find(ref);
        return local.orElseGet(() -> pull(ref));
    }

    /** A file in place was verified when it was renamed there; a listed size that changed means a new upload. */
    private static boolean isComplete(Path target, HubFile f) {
        try {
            return Files.isRegularFile(target) && Files.size(target) == f.size();
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
