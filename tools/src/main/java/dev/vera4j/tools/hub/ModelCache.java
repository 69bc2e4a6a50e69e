package dev.vera4j.tools.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where pulled models live: {@code $VERA4J_CACHE/models/OWNER/NAME/PATH} (default {@code ~/.cache/vera4j/models},
 * beside the packed copies in {@code .../packed}), a file per repository file, with {@code PATH.part} while it
 * downloads. A file without {@code .part} is complete and verified: nothing else is ever renamed into place.
 *
 * <pre>{@code
 * ModelCache cache = ModelCache.from(System.getenv());
 * Optional<Path> local = cache.find(HubRef.parse("ggml-org/models:Q4_0"));   // no network
 * }</pre>
 */
public record ModelCache(Path root) {
    /** A cached file. */
    public record Entry(String repo, String path, long size, Path file) {}

    /** The cache of {@code $VERA4J_CACHE} (default {@code ~/.cache/vera4j}). */
    public static ModelCache from(Map<String, String> env) {
        String cache = env.get("VERA4J_CACHE");
        Path base = cache == null || cache.isBlank() ? Path.of(System.getProperty("user.home"), ".cache", "vera4j") : Path.of(cache);
        return new ModelCache(base.resolve("models"));
    }

    /** Where {@code path} of {@code repo} is kept. */
    public Path fileOf(String repo, String path) {
        Path p = root.resolve(repo).resolve(path).normalize();
        if (!p.startsWith(root.normalize())) throw new HubException("refusing a file outside the cache: " + repo + "/" + path);
        return p;
    }

    /** Complete files, by repository then path. */
    public List<Entry> list() {
        if (!Files.isDirectory(root)) return List.of();
        List<Entry> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().endsWith(".part")).toList()) {
                Path rel = root.relativize(p);
                if (rel.getNameCount() < 3) continue;
                out.add(new Entry(rel.getName(0) + "/" + rel.getName(1), rel.subpath(2, rel.getNameCount()).toString().replace('\\', '/'),
                        Files.size(p), p));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root + ": " + e.getMessage(), e);
        }
        out.sort(Comparator.comparing(Entry::repo).thenComparing(Entry::path));
        return out;
    }

    /** The file to load for {@code ref} if the cache holds all of it (every part of a split model), without the network. */
    public Optional<Path> find(HubRef ref) {
        List<HubFile> files = entries(ref.repo()).stream().map(e -> new HubFile(e.path(), e.size(), null, null)).toList();
        if (files.isEmpty()) return Optional.empty();
        try {
            return Optional.of(fileOf(ref.repo(), QuantPicker.pick(files, ref).getFirst().path()));
        } catch (HubException e) {
            return Optional.empty();
        }
    }

    /** Deletes what {@code ref} names (the whole repository when it names no quant or file) and returns the files removed. */
    public List<Entry> remove(HubRef ref) {
        List<Entry> entries = entries(ref.repo());
        List<Entry> gone;
        if (ref.quant() == null && ref.file() == null) {
            gone = entries;
        } else {
            List<HubFile> picked = QuantPicker.pick(entries.stream().map(e -> new HubFile(e.path(), e.size(), null, null)).toList(), ref);
            gone = entries.stream().filter(e -> picked.stream().anyMatch(f -> f.path().equals(e.path()))).toList();
        }
        try {
            for (Entry e : gone) Files.deleteIfExists(e.file());
            if (ref.quant() == null && ref.file() == null) deleteTree(root.resolve(ref.repo()));   // .part files too
            pruneEmpty(root.resolve(ref.repo()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete from " + root + ": " + e.getMessage(), e);
        }
        return gone;
    }

    private List<Entry> entries(String repo) { return list().stream().filter(e -> e.repo().equals(repo)).toList(); }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /** Removes {@code dir} and its owner folder when they are left empty. */
    private void pruneEmpty(Path dir) throws IOException {
        for (Path d = dir; d != null && d.startsWith(root) && !d.equals(root); d = d.getParent()) {
            if (!Files.isDirectory(d)) continue;
            try (Stream<Path> s = Files.list(d)) {
                if (s.findAny().isPresent()) return;
            }
            Files.delete(d);
        }
    }
}
