package dev.vera4j.tools;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The AOT cache's name, its switch, and the default context of a one-shot run. */
class StartupCacheTest {
    @TempDir Path dir;

    private static String java() { return Path.of(System.getProperty("java.home"), "bin", "java").toString(); }

    @Test
    void cacheNameFollowsTheJarAndTheJdk() throws Exception {
        Path jar = dir.resolve("vera4j.jar");
        Files.write(jar, new byte[123]);
        Files.setLastModifiedTime(jar, FileTime.fromMillis(1_700_000_000_000L));
        Map<String, String> env = Map.of("VERA4J_CACHE", dir.resolve("cache").toString());
        Path f = StartupCache.file(java(), jar, env);
        long javaTime = Files.getLastModifiedTime(Path.of(java()).toRealPath()).toMillis() / 1000;
        assertEquals(dir.resolve("cache/aot/vera4j-123-1700000000-" + javaTime + ".aot"), f);
        Files.setLastModifiedTime(jar, FileTime.fromMillis(1_700_000_001_000L));
        assertNotEquals(f, StartupCache.file(java(), jar, env), "a rebuilt jar gets a new cache");
        assertNull(StartupCache.file(java(), dir.resolve("missing.jar"), env));
    }

    /** Making a cache keeps the three newest caches and failure marks of the folder, and nothing else is touched. */
    @Test
    void pruneKeepsTheNewestThree() throws Exception {
        Path aot = Files.createDirectories(dir.resolve("aot"));
        for (int i = 0; i < 5; i++) {
            for (String name : List.of("vera4j-" + i + "-1-2.aot", "vera4j-" + i + "-1-3.aot.failed")) {
                Path f = Files.write(aot.resolve(name), new byte[1]);
                Files.setLastModifiedTime(f, FileTime.fromMillis(1_700_000_000_000L + 1000L * i));
            }
        }
        Files.write(aot.resolve("other.aot"), new byte[1]);
        Files.write(aot.resolve("vera4j-9-1-2.aot.77.tmp"), new byte[1]);
        StartupCache.prune(aot);
        List<String> left;
        try (var s = Files.list(aot)) {
            left = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertEquals(List.of("other.aot", "vera4j-2-1-2.aot", "vera4j-2-1-3.aot.failed", "vera4j-3-1-2.aot", "vera4j-3-1-3.aot.failed",
                "vera4j-4-1-2.aot", "vera4j-4-1-3.aot.failed", "vera4j-9-1-2.aot.77.tmp"), left);
    }

    @Test
    void usedWhenPresentSkippedWhenOffOrFailed() throws Exception {
        Path jar = dir.resolve("vera4j.jar");
        Files.write(jar, new byte[10]);
        Map<String, String> env = Map.of("VERA4J_CACHE", dir.toString());
        Path f = StartupCache.file(java(), jar, env);
        Files.createDirectories(f.getParent());
        Files.write(f, new byte[1]);
        assertEquals(List.of("-XX:AOTCache=" + f), StartupCache.options(java(), jar.toString(), env));
        assertEquals(List.of(), StartupCache.options(java(), jar.toString(), Map.of("VERA4J_CACHE", dir.toString(), "VERA4J_AOT", "off")));
        assertEquals(List.of(), StartupCache.options(java(), jar + java.io.File.pathSeparator + "other.jar", env), "a class path, not the jar");
        Files.delete(f);
        Files.write(Path.of(f + ".failed"), new byte[1]);
        assertEquals(List.of(), StartupCache.options(java(), jar.toString(), env), "a failed attempt is not retried at every start");
    }

    @Test
    void theLauncherScriptStartsTheJvmWithTheSameOptions() throws Exception {
        Path script = Path.of("..", "bin", "vera4j");
        assumeTrue(Files.isRegularFile(script) && Files.isExecutable(Path.of("/bin/bash")), "bin/vera4j or bash is not here");
        // bash itself reads the script's jvm=(...) array, quoting and line breaks included
        Process p = new ProcessBuilder("/bin/bash", "-c", "eval \"$(sed -n '/^jvm=(/{:a;/)$/!{N;ba};p;q}' \"$1\")\"; printf '%s\\n' \"${jvm[@]}\"", "bash",
                script.toString()).redirectErrorStream(true).start();
        List<String> options = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines().toList();
        assertEquals(0, p.waitFor(), String.join("\n", options));
        assertEquals(StartupCache.JVM_OPTIONS, options);
    }

    @Test
    void oneShotContextIsPromptPlusTokens() {
        assertEquals(25, ContextSize.forRun(9, 16, 4096));
        assertEquals(4096, ContextSize.forRun(9, Integer.MAX_VALUE, 4096), "-n -1 keeps the full default");
        assertEquals(512, ContextSize.forRun(500, 100, 512), "never past the cap");
        assertEquals(1, ContextSize.forRun(0, 0, 4096));
    }
}
