package dev.vera4j.tools;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The JVM options the launchers start the CLI with, and its ahead-of-time cache (JDK 25, JEP 483 and 515): a file
 * that holds the CLI's classes loaded and linked and the method profiles of a training run ({@link AotTraining}), so
 * that a one-shot command starts faster and its Vector API kernels are compiled as soon as they run, not after
 * seconds of slow interpreted vector code. Compiled for Java 17 with {@link Main}: {@link Relauncher} uses it.
 *
 * <p>The cache lives in {@code $VERA4J_CACHE/aot} (default {@code ~/.cache/vera4j/aot}), named after the jar's size
 * and time and the {@code java} binary's time, since a cache only fits the jar and JVM that made it:
 * {@code vera4j-SIZE-JARTIME-JAVATIME.aot}. {@code bin/vera4j} computes the same name in shell — keep them in step.
 * The first start without one makes it (a training run of some 20–60 s, said on stderr); a failed attempt leaves a
 * {@code .failed} file so that later starts do not retry; {@code VERA4J_AOT=off} skips the cache altogether. Each
 * build and JDK makes a cache of about 20 MB, so making one keeps only the {@value #KEEP} newest of the folder (and
 * as many failure marks): two installs used side by side keep theirs, an upgraded one does not leave its old caches.
 *
 * <pre>{@code
 * List<String> cmd = new ArrayList<>(List.of(java));
 * cmd.addAll(StartupCache.JVM_OPTIONS);
 * cmd.addAll(StartupCache.directives(System.getenv()));            // [-XX:CompilerDirectivesFile=...] or []
 * cmd.addAll(StartupCache.options(java, jar, System.getenv()));   // [-XX:AOTCache=...] or []
 * }</pre>
 */
final class StartupCache {
    /**
     * The options every launcher starts the CLI's JVM with (training runs included: a cache is only used by a JVM
     * started like the one that made it). The serial collector with a 64 MiB young generation keeps the heap small:
     * the kernels' cold start makes gigabytes of short-lived garbage, over which G1 grows its heap to 2 GiB resident;
     * the old generation still grows to {@code -Xmx} where training needs it. C2 compiles the kernels of
     * {@code dev.vera4j.simd} after a fiftieth of its usual call counts: a one-shot run's first token waits for them, and
     * while they run uncompiled the compiler queue fills with the Vector API's Java fallbacks that they call
     * ({@code KernelPrimer} runs them during the load). Without profiled loop predication C2 does not recompile the
     * attention's and softmax's loops each time the context outgrows the lengths their first compilation saw (a
     * one-shot {@code generate} was 4–8 % faster; decoding and prefill the same within noise). C2 compiles a loop while
     * it runs (on-stack replacement) only after ten times the usual back-edge count: a kernel's loops reached that count
     * before its calls reached theirs, so C2 compiled most kernels twice, mid-loop and then whole (0.5 s of a one-shot
     * run's 1.6 s of C2 time); the whole compilation follows within a few calls anyway. Diagnostic options are
     * unlocked for {@link #directives}, and the JVM's own output is off: it would print "2 compiler directives added"
     * on standard output, ahead of the text or JSON that a command writes there ({@code -XX:+DisplayVMOutput} in
     * {@code VERA4J_JAVA_OPTS} brings it back, for {@code -XX:+PrintCompilation} and the like; warnings and crash
     * reports do not go through it). {@code bin/vera4j} lists the same options (StartupCacheTest).
     */
    static final List<String> JVM_OPTIONS = Collections.unmodifiableList(Arrays.asList("--add-modules", "jdk.incubator.vector",
            "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xmn64m", "-XX:CompileCommand=quiet",
            "-XX:CompileCommand=CompileThresholdScaling,dev/vera4j/simd/*.*,0.02", "-XX:-UseProfiledLoopPredicate",
            "-XX:Tier4BackEdgeThreshold=400000",
            "-XX:+UnlockDiagnosticVMOptions", "-XX:-DisplayVMOutput"));

    /** The compiler directives file in the jar, beside this class; {@code bin/vera4j} passes the same file from the sources. */
    static final String DIRECTIVES = "compiler-directives.json";

    private StartupCache() {}

    /** {@code $VERA4J_CACHE/aot/vera4j-SIZE-JARTIME-JAVATIME.aot}, or null when the jar or java cannot be read. */
    static Path file(String javaBin, Path jar, Map<String, String> env) {
        try {
            Path java = Paths.get(javaBin).toRealPath();
            return folder(env).resolve("vera4j-" + Files.size(jar) + "-" + Files.getLastModifiedTime(jar).to(TimeUnit.SECONDS)
                    + "-" + Files.getLastModifiedTime(java).to(TimeUnit.SECONDS) + ".aot");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** {@code $VERA4J_CACHE/aot} (default {@code ~/.cache/vera4j/aot}). */
    private static Path folder(Map<String, String> env) {
        String cache = env.get("VERA4J_CACHE");
        Path root = cache == null || cache.trim().isEmpty() ? Paths.get(System.getProperty("user.home"), ".cache", "vera4j") : Paths.get(cache);
        return root.resolve("aot");
    }

    /**
     * {@code -XX:CompilerDirectivesFile=FILE} for the jar's {@value #DIRECTIVES} (C2 compiles vera4j's own methods only;
     * the file says why), written to {@code $VERA4J_CACHE/aot/} when that copy is missing or differs (temporary file and
     * rename, as two starts may race); empty when it cannot be written: the JVM refuses to start without the file.
     */
    static List<String> directives(Map<String, String> env) {
        try (java.io.InputStream in = StartupCache.class.getResourceAsStream(DIRECTIVES)) {
            if (in == null) return Collections.emptyList();
            byte[] text = in.readAllBytes();
            Path file = folder(env).resolve(DIRECTIVES);
            if (!Files.isRegularFile(file) || !Arrays.equals(Files.readAllBytes(file), text)) {
                Files.createDirectories(file.getParent());
                Path tmp = Paths.get(file + "." + ProcessHandle.current().pid() + ".tmp");
                try {
                    Files.write(tmp, text);
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            return Collections.singletonList("-XX:CompilerDirectivesFile=" + file);
        } catch (IOException | RuntimeException e) {
            return Collections.emptyList();   // an unwritable cache folder: C2 compiles everything, as by default
        }
    }

    /**
     * {@code -XX:AOTCache=FILE} when the cache exists or can be made now; empty when {@code VERA4J_AOT=off}, for a
     * class path that is not one jar, or after a failed attempt.
     */
    static List<String> options(String javaBin, String classPath, Map<String, String> env) {
        String off = env.getOrDefault("VERA4J_AOT", "").trim().toLowerCase(java.util.Locale.ROOT);
        if (off.equals("off") || off.equals("0") || off.equals("false") || off.equals("no")) return Collections.emptyList();
        if (classPath == null || classPath.contains(File.pathSeparator) || !classPath.endsWith(".jar")) return Collections.emptyList();
        Path jar = Paths.get(classPath).toAbsolutePath();
        Path file = file(javaBin, jar, env);
        if (file == null) return Collections.emptyList();
        if (!Files.isRegularFile(file) && !make(javaBin, jar, file, env)) return Collections.emptyList();
        return Collections.singletonList("-XX:AOTCache=" + file);
    }

    /** How many caches, and how many failure marks, {@link #prune} keeps. */
    static final int KEEP = 3;

    /** Deletes all but the {@link #KEEP} newest caches ({@code vera4j-*.aot}) and failure marks in {@code dir}. */
    static void prune(Path dir) {
        for (String suffix : Arrays.asList(".aot", ".aot.failed")) {
            List<Path> files = new ArrayList<>();
            try (java.util.stream.Stream<Path> s = Files.list(dir)) {
                s.filter(p -> p.getFileName().toString().startsWith("vera4j-") && p.getFileName().toString().endsWith(suffix)).forEach(files::add);
            } catch (IOException e) {
                return;   // an unreadable folder: nothing to prune
            }
            files.sort(java.util.Comparator.comparingLong(StartupCache::modified).reversed());
            for (int i = KEEP; i < files.size(); i++) {
                try {
                    Files.deleteIfExists(files.get(i));
                } catch (IOException ignored) {
                    // another process's file, or a read-only folder: left as it is
                }
            }
        }
    }

    private static long modified(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return Long.MIN_VALUE;
        }
    }

    /** Runs the training JVM that writes {@code file}; true when it did. */
    private static boolean make(String javaBin, Path jar, Path file, Map<String, String> env) {
        Path failed = Paths.get(file + ".failed");
        if (Files.exists(failed)) return false;
        Path tmp = Paths.get(file + "." + ProcessHandle.current().pid() + ".tmp");
        Path scratch = null;
        try {
            Files.createDirectories(file.getParent());
            scratch = Files.createTempDirectory("vera4j-aot-cache");
            System.err.println("vera4j: making the start-up cache " + file + " (once per build and JDK; VERA4J_AOT=off skips it)...");
            List<String> cmd = new ArrayList<>();
            cmd.add(javaBin);
            cmd.add("-XX:AOTCacheOutput=" + tmp);
            cmd.addAll(JVM_OPTIONS);
            cmd.addAll(directives(env));
            cmd.add("-cp");
            cmd.add(jar.toString());
            cmd.add("dev.vera4j.tools.AotTraining");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("VERA4J_CACHE", scratch.toString());   // the training models' packed copies stay out of the user's cache
            pb.environment().remove("JAVA_TOOL_OPTIONS");
            int code = pb.start().waitFor();
            if (code != 0 || !Files.isRegularFile(tmp)) {
                Files.write(failed, ("training run exited with " + code + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                return false;
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return true;
        } catch (IOException | RuntimeException e) {
            try {
                Files.write(failed, (e + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // an unwritable cache folder: run without the cache
            }
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            try {
                Files.deleteIfExists(tmp);
                Files.deleteIfExists(Paths.get(tmp + ".config"));
                if (scratch != null) deleteTree(scratch);
            } catch (IOException ignored) {
                // leftovers in a cache folder are harmless
            }
            prune(file.getParent());
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
