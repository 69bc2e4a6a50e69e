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
        // bash itself reads the script's jvm=(...) array, quoting and line breaks included, and the lines that add the
        // directives file to it
        Path here = Path.of("..").toAbsolutePath().normalize();
        Process p = new ProcessBuilder("/bin/bash", "-c", "here=\"$2\"; eval \"$(sed -n '/^jvm=(/,/^\\[ -f \"\\$directives\" \\]/p' \"$1\")\"; printf '%s\\n' \"${jvm[@]}\"",
                "bash", script.toString(), here.toString()).redirectErrorStream(true).start();
        List<String> options = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines().toList();
        assertEquals(0, p.waitFor(), String.join("\n", options));
        List<String> expected = new java.util.ArrayList<>(StartupCache.JVM_OPTIONS);
        expected.add("-XX:CompilerDirectivesFile=" + here.resolve("tools/src/main/resources/dev/vera4j/tools/" + StartupCache.DIRECTIVES));
        assertEquals(expected, options);
    }

    /** The jar's directives are copied to the cache folder (again when the copy differs); no folder, no option. */
    @Test
    void directivesAreWrittenBesideTheCache() throws Exception {
        Map<String, String> env = Map.of("VERA4J_CACHE", dir.toString());
        Path file = dir.resolve("aot").resolve(StartupCache.DIRECTIVES);
        assertEquals(List.of("-XX:CompilerDirectivesFile=" + file), StartupCache.directives(env));
        byte[] text;
        try (var in = StartupCache.class.getResourceAsStream(StartupCache.DIRECTIVES)) {
            text = in.readAllBytes();
        }
        assertArrayEquals(text, Files.readAllBytes(file));
        Files.writeString(file, "[]");
        assertEquals(List.of("-XX:CompilerDirectivesFile=" + file), StartupCache.directives(env));
        assertArrayEquals(text, Files.readAllBytes(file), "an old or damaged copy is replaced");
        Files.writeString(dir.resolve("plain-file"), "");
        assertEquals(List.of(), StartupCache.directives(Map.of("VERA4J_CACHE", dir.resolve("plain-file").toString())),
                "no option when the file cannot be written: the JVM would not start without it");
    }

    /**
     * Under the launchers' options and directives, C2 compiles a hot method of vera4j's and none of the JDK's (C1
     * compiles those): {@link HotLoop} keeps both busy for a moment.
     */
    @Test
    void c2CompilesOnlyVera4jMethods() throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(java()));
        cmd.addAll(StartupCache.JVM_OPTIONS);
        cmd.addAll(StartupCache.directives(Map.of("VERA4J_CACHE", dir.toString())));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), HotLoop.class.getName()));
        assertEquals(List.of(Long.toString(HotLoop.sum())), run(cmd), "the program's output, and nothing of the JVM's on standard output");
        cmd.addAll(cmd.size() - 3, List.of("-XX:+DisplayVMOutput", "-XX:+PrintCompilation"));
        List<String> lines = run(cmd);
        // PrintCompilation: time, id, flags, level, method
        java.util.regex.Pattern c2 = java.util.regex.Pattern.compile("^\\s*\\d+\\s+\\d+\\s+[%sbn! ]*4\\s+(\\S+)");
        List<String> byC2 = lines.stream().map(c2::matcher).filter(java.util.regex.Matcher::find).map(m -> m.group(1)).toList();
        assertTrue(byC2.stream().anyMatch(m -> m.startsWith(HotLoop.class.getName() + "::")), "C2 compiled the loop: " + byC2);
        assertEquals(List.of(), byC2.stream().filter(m -> !m.startsWith("dev.vera4j.")).toList(), "C2 compiled JDK methods");
    }

    /** The lines a process prints on standard output, after checking that it exited with 0. */
    private List<String> run(List<String> cmd) throws Exception {
        Path errors = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(cmd).redirectError(errors.toFile()).start();
        List<String> lines = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines().toList();
        assertEquals(0, p.waitFor(), String.join("\n", lines) + "\n" + Files.readString(errors));
        return lines;
    }

    /** Calls a JDK method too large to inline ({@code String.format}) and a method of its own, many times. */
    static final class HotLoop {
        public static void main(String[] args) {
            System.out.println(sum());
        }

        static long sum() {
            long sum = 0;
            for (int i = 0; i < 200_000; i++) sum += String.format("%d", i).length() + mix(i);
            return sum;
        }

        private static long mix(long x) { return (x * 0x9E3779B97F4A7C15L) >>> 60; }
    }

    @Test
    void oneShotContextIsPromptPlusTokens() {
        assertEquals(25, ContextSize.forRun(9, 16, 4096));
        assertEquals(4096, ContextSize.forRun(9, Integer.MAX_VALUE, 4096), "-n -1 keeps the full default");
        assertEquals(512, ContextSize.forRun(500, 100, 512), "never past the cap");
        assertEquals(1, ContextSize.forRun(0, 0, 4096));
    }
}
