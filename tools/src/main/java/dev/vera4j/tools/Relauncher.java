package dev.vera4j.tools;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Re-executes a JVM with the Vector API module added (see {@link Main}). Compiled for Java 17. */
final class Relauncher {
    private Relauncher() {}

    static String currentJava() {
        return ProcessHandle.current().info().command()
                .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    }

    /** A {@code java} binary of feature release {@code min} or newer: {@code JAVA_HOME} first, then {@code /usr/lib/jvm}. */
    static String findJava(int min) {
        List<Path> homes = new ArrayList<>();
        String env = System.getenv("JAVA_HOME");
        if (env != null && !env.isEmpty()) homes.add(Paths.get(env));
        Path jvms = Paths.get("/usr/lib/jvm");
        if (Files.isDirectory(jvms)) {
            try (Stream<Path> s = Files.list(jvms)) {
                s.sorted(Comparator.reverseOrder()).forEach(homes::add);
            } catch (IOException ignored) {
                // no system JDKs to offer
            }
        }
        for (Path home : homes) {
            Path java = home.resolve("bin").resolve("java");
            if (Files.isExecutable(java) && featureOf(home) >= min) return java.toString();
        }
        return null;
    }

    /** The feature release a JDK home declares in its {@code release} file, or -1. */
    private static int featureOf(Path home) {
        try {
            for (String line : Files.readAllLines(home.resolve("release"))) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                    if (v.startsWith("1.")) v = v.substring(2);
                    int end = 0;
                    while (end < v.length() && Character.isDigit(v.charAt(end))) end++;
                    return end == 0 ? -1 : Integer.parseInt(v.substring(0, end));
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // not a JDK we can use
        }
        return -1;
    }

    static int relaunch(String javaBin, String[] args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBin);
        cmd.addAll(StartupCache.JVM_OPTIONS);
        cmd.addAll(StartupCache.directives(System.getenv()));
        cmd.addAll(StartupCache.options(javaBin, System.getProperty("java.class.path"), System.getenv()));
        // keep the user's JVM options (-Xmx, -D...) of the parent
        for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("--add-modules") && !a.startsWith("-agentlib") && !a.startsWith("-javaagent")) cmd.add(a);
        }
        cmd.add("-Dvera4j.relaunched=true");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        try {
            // standard error comes through this process only to drop the JVM's "Using incubator modules" line, which
            // says nothing to a user of java -jar; everything else passes byte for byte as it arrives
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.INHERIT)
                    .redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
            Thread errors = new Thread(() -> IncubatorWarningFilter.copy(p.getErrorStream(), System.err), "vera4j-stderr");
            errors.setDaemon(true);
            errors.start();
            ignoreCtrlC();
            forwardTerm(p);
            // Ctrl-C reaches both processes (same process group); wait for the child to finish its own handling.
            while (true) {
                try {
                    int code = p.waitFor();
                    errors.join(5000);   // the child's last words before its exit code
                    return code;
                } catch (InterruptedException e) {
                    // keep waiting: the child decides when to exit
                }
            }
        } catch (IOException e) {
            System.err.println("error: cannot start " + javaBin + " with the Vector API module: " + e.getMessage());
            System.err.println("hint: run java --add-modules jdk.incubator.vector -jar vera4j.jar ...");
            return Main.EXIT_ERROR;
        }
    }

    /**
     * SIGTERM reaches only this process (a service manager, {@code kill}); the child gets it too, so that a server drains
     * and exits, and this one exits with it.
     */
    private static void forwardTerm(Process child) {
        try {
            // the handle's destroy only signals; Process.destroy would also close the pipe that carries the child's
            // standard error, losing what a draining server prints after the signal
            sun.misc.Signal.handle(new sun.misc.Signal("TERM"), s -> child.toHandle().destroy());
        } catch (IllegalArgumentException | LinkageError e) {
            // no SIGTERM here (or signals reserved by -Xrs): keep the default
        }
    }

    /**
     * Ctrl-C reaches both processes; by default it would end this one at once and leave the child (a chat that only
     * wanted to stop an answer) orphaned on the terminal, so the parent ignores it and exits with the child.
     */
    private static void ignoreCtrlC() {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), sun.misc.SignalHandler.SIG_IGN);
        } catch (IllegalArgumentException | LinkageError e) {
            // no SIGINT here (or signals reserved by -Xrs): keep the default
        }
    }
}
