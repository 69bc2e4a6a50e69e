package dev.vera4j.vera;

import dev.vera4j.gguf.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

/** The adapter LRU: byte budget, shared projections, reloading changed files, refusing another base's adapters. */
class AdapterCacheTest {
    private static final BaseFingerprint BASE = TestAdapters.tinyBase("llama");
    private static final Set<VeraTarget> TARGETS = EnumSet.of(VeraTarget.Q, VeraTarget.V, VeraTarget.DOWN);

    /** An adapter with projection seed {@code seed} and λ's drawn from {@code lambdaSeed}. */
    private static Path write(Path dir, String name, long seed, long lambdaSeed) throws Exception {
        AdapterFile random = TestAdapters.random(BASE, TARGETS, 8, lambdaSeed);
        AdapterFile a = new AdapterFile(new VeraConfig(seed, 8, 0.1f, TARGETS, java.util.List.of(), true), random.inMax(),
                random.outMax(), BASE, new TreeMap<>(random.lambdas()), Optional.empty(), Optional.empty());
        Path p = dir.resolve(name);
        a.write(p, GgmlType.F32);
        return p;
    }

    @Test
    void adaptersOfOneSeedShareTheirProjections(@TempDir Path dir) throws Exception {
        AdapterCache cache = new AdapterCache(BASE, 1 << 20);
        AdapterWeights a = cache.get(write(dir, "a.gguf", 5, 1)), b = cache.get(write(dir, "b.gguf", 5, 2)), c = cache.get(write(dir, "c.gguf", 6, 3));
        assertSame(a.a(), b.a(), "one A for both adapters of seed 5");
        assertSame(a.site(0, VeraTarget.V).bt(), b.site(0, VeraTarget.V).bt());
        assertSame(a.site(1, VeraTarget.Q).bt(), b.site(1, VeraTarget.Q).bt(), "q's permuted B is shared too");
        assertNotSame(a.a(), c.a());
        assertNotEquals(a.site(0, VeraTarget.V).lambdaB()[0], b.site(0, VeraTarget.V).lambdaB()[0]);
        AdapterCache.Stats s = cache.stats();
        assertEquals(3, s.adapters());
        assertEquals(2, s.projections());
        assertEquals(3, s.misses());
        assertSame(a, cache.get(dir.resolve("a.gguf")));
        assertEquals(1, cache.stats().hits());
        // the same adapter loaded alone (no cache) computes the same vectors in the same layout
        AdapterWeights alone = AdapterLoader.prepare(dir.resolve("b.gguf"), BASE, false);
        assertArrayEquals(alone.site(1, VeraTarget.Q).bt(), b.site(1, VeraTarget.Q).bt());
        assertArrayEquals(alone.site(1, VeraTarget.Q).lambdaB(), b.site(1, VeraTarget.Q).lambdaB());
    }

    @Test
    void theLeastRecentlyUsedGoFirstWhenTheBudgetIsExceeded(@TempDir Path dir) throws Exception {
        Path[] p = new Path[6];
        for (int i = 0; i < p.length; i++) p[i] = write(dir, "a" + i + ".gguf", 5, i);
        AdapterCache probe = new AdapterCache(BASE, Long.MAX_VALUE);
        probe.get(p[0]);
        long projections = probe.stats().bytes() - probe.get(p[0]).lambdaBytes(), one = probe.get(p[0]).lambdaBytes();
        AdapterCache cache = new AdapterCache(BASE, projections + 3 * one);
        for (int i = 0; i < 3; i++) cache.get(p[i]);
        cache.get(p[0]);                        // a0 is now the most recently used
        cache.get(p[3]);                        // evicts a1
        assertEquals(3, cache.stats().adapters());
        assertEquals(1, cache.stats().evictions());
        assertTrue(cache.stats().bytes() <= projections + 3 * one);
        long misses = cache.stats().misses();
        cache.get(p[0]);
        assertEquals(misses, cache.stats().misses(), "a0 stayed");
        cache.get(p[1]);
        assertEquals(misses + 1, cache.stats().misses(), "a1 had gone");
        AdapterCache tiny = new AdapterCache(BASE, 0);
        assertNotNull(tiny.get(p[4]));
        assertEquals(1, tiny.stats().adapters(), "the adapter in use stays even over the budget");
        tiny.get(p[5]);
        assertEquals(1, tiny.stats().adapters());
        assertEquals(1, tiny.stats().projections());
    }

    @Test
    void aChangedFileIsLoadedAgainAndAnotherBaseIsRefused(@TempDir Path dir) throws Exception {
        AdapterCache cache = new AdapterCache(BASE, 1 << 20);
        Path p = write(dir, "a.gguf", 5, 1);
        AdapterWeights first = cache.get(p);
        write(dir, "a.gguf", 5, 2);
        Files.setLastModifiedTime(p, FileTime.fromMillis(Files.getLastModifiedTime(p).toMillis() + 5000));
        AdapterWeights second = cache.get(p);
        assertNotSame(first, second);
        assertNotEquals(first.site(0, VeraTarget.V).lambdaB()[0], second.site(0, VeraTarget.V).lambdaB()[0]);
        assertEquals(1, cache.stats().adapters());

        AdapterCache other = new AdapterCache(new BaseFingerprint("llama", 2, 16, 24, 4, 2, 4, 10, "ffffffffffffffffffffffffffffffff"), 1 << 20);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> other.get(p));
        assertTrue(e.getMessage().contains("fingerprint"), e.getMessage());
        assertEquals(0, other.stats().projections(), "a failed load keeps nothing");
        e = assertThrows(IllegalArgumentException.class, () -> AdapterLoader.check(p, other.base()));
        assertTrue(e.getMessage().contains("a.gguf"), e.getMessage());
        AdapterLoader.check(p, BASE);
        assertThrows(IllegalArgumentException.class, () -> cache.get(dir.resolve("missing.gguf")));
    }
}
