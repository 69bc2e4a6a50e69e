package dev.vera4j.server;

import dev.vera4j.vera.AdapterCache;
import dev.vera4j.vera.AdapterLoader;
import dev.vera4j.vera.peft.PeftImporter;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The adapters of {@code --adapters DIR}: each {@code NAME.gguf} file and each PEFT directory {@code NAME/} (with an
 * {@code adapter_config.json}) is the model id {@code NAME}. A scan checks new and changed adapters against the base
 * (metadata only, not loading them) and refuses those made for another base, with one line each; loading happens
 * later, on first use, through the {@link AdapterCache}. Thread-safe.
 *
 * <pre>{@code
 * AdapterDirectory dir = new AdapterDirectory(Path.of("adapters"), cache, "stories260K");
 * Scan first = dir.rescan();
 * first.refused().forEach((id, why) -> System.err.println("adapter " + id + " refused: " + why));
 * Path alice = dir.path("alice");
 * }</pre>
 */
final class AdapterDirectory {
    /** What a scan changed: ids added and removed, and the adapters refused (id → why). */
    record Scan(List<String> added, List<String> removed, Map<String, String> refused) {}

    private record Known(Path path, long modified, long size) {}

    private final Path dir;
    private final AdapterCache cache;
    private final String baseId;
    private Map<String, Known> adapters = Map.of();
    /** Refused files by path with the version refused, so that an unchanged one is not checked (or reported) again. */
    private final Map<Path, Known> refused = new LinkedHashMap<>();

    AdapterDirectory(Path dir, AdapterCache cache, String baseId) {
        this.dir = dir;
        this.cache = cache;
        this.baseId = baseId;
    }

    Path dir() { return dir; }

    /** The adapter with id {@code id}, or {@code null}. */
    synchronized Path path(String id) {
        Known k = adapters.get(id);
        return k == null ? null : k.path;
    }

    /** Ids in name order. */
    synchronized List<String> ids() { return List.copyOf(adapters.keySet()); }

    /**
     * Reads the directory again: checks new and changed adapters, forgets removed ones (and drops changed ones from the
     * cache).
     *
     * @throws IllegalArgumentException if the directory cannot be read
     */
    synchronized Scan rescan() {
        Map<String, Known> next = new TreeMap<>();
        Map<String, String> refusedNow = new TreeMap<>();
        for (Path p : candidates()) {
            String id = idOf(p);
            Known k = known(p);
            if (k == null) continue;
            Known before = adapters.get(id);
            if (before != null && before.equals(k)) {
                next.put(id, k);
                continue;
            }
            if (k.equals(refused.get(p))) continue;   // refused before, unchanged
            String problem = id.equals(baseId) ? "its id is the base model's" : next.containsKey(id) ? "the id is taken by " + next.get(id).path.getFileName() : check(p);
            if (problem != null) {
                refused.put(p, k);
                refusedNow.put(p.getFileName().toString(), problem);
                continue;
            }
            refused.remove(p);
            if (before != null) cache.evict(before.path);
            next.put(id, k);
        }
        List<String> added = new ArrayList<>(), removed = new ArrayList<>();
        for (String id : next.keySet()) if (!adapters.containsKey(id)) added.add(id);
        for (Map.Entry<String, Known> e : adapters.entrySet()) {
            if (!next.containsKey(e.getKey())) {
                removed.add(e.getKey());
                cache.evict(e.getValue().path);
            }
        }
        refused.keySet().removeIf(p -> !Files.exists(p));
        adapters = next;
        return new Scan(added, removed, refusedNow);
    }

    private String check(Path p) {
        try {
            AdapterLoader.check(p, cache.base());
            return null;
        } catch (RuntimeException e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage();
            return msg.replace('\n', ' ');
        }
    }

    private List<Path> candidates() {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.startsWith(".")) continue;
                if (Files.isDirectory(p) ? Files.isRegularFile(p.resolve(PeftImporter.CONFIG_FILE)) : name.endsWith(".gguf")) out.add(p);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the adapter directory " + dir + ": " + e.getMessage(), e);
        }
        out.sort(null);
        return out;
    }

    /** {@code NAME} of {@code NAME.gguf} or of a directory {@code NAME}. */
    static String idOf(Path p) {
        String name = p.getFileName().toString();
        return !Files.isDirectory(p) && name.endsWith(".gguf") ? name.substring(0, name.length() - 5) : name;
    }

    /** Time and size of the file (a PEFT directory's weights), or {@code null} when it vanished meanwhile. */
    private static Known known(Path p) {
        Path f = Files.isDirectory(p) ? p.resolve(PeftImporter.WEIGHTS_FILE) : p;
        try {
            return new Known(p, Files.getLastModifiedTime(f).toMillis(), Files.size(f));
        } catch (IOException e) {
            return null;
        }
    }
}
