package dev.vera4j.tools;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The build's JDK check (maven-enforcer-plugin's requireJavaVersion in the parent pom) stops a too-old JDK with one
 * line saying what is needed and where to point JAVA_HOME. The rule runs here on this JDK with the minimum raised
 * above it ({@code -Dvera4j.min.java=99}), which is what a JDK 17 meets with the real minimum of 25.
 */
class BuildJdkRuleTest {
    @Test
    void anOldJdkGetsOneLineNamingTheJdkAndJavaHome() throws Exception {
        Path root = Path.of("").toAbsolutePath().getParent();
        assertTrue(Files.readString(root.resolve("pom.xml")).contains("<vera4j.min.java>25</vera4j.min.java>"), "the rule's minimum is 25");
        String mvn = onPath("mvn");
        assumeTrue(mvn != null, "mvn is not on the PATH");
        Process p = new ProcessBuilder(mvn, "-o", "-B", "-N", "-q", "validate", "-Dvera4j.min.java=99").directory(root.toFile())
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "maven did not finish");
        assertEquals(1, p.exitValue(), out);
        List<String> lines = out.lines().filter(l -> l.contains("vera4j needs JDK")).toList();
        assertEquals(1, lines.size(), out);
        assertTrue(lines.getFirst().matches(".*vera4j needs JDK 99\\+ to build; Maven runs on Java \\S+ \\(.+\\): point JAVA_HOME at a JDK 99, e\\.g\\. export JAVA_HOME=.*"),
                lines.getFirst());
        assertFalse(out.contains("invalid flag"), out);
    }

    private static String onPath(String name) throws IOException {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path f = Path.of(dir, name);
            if (Files.isExecutable(f)) return f.toString();
        }
        return null;
    }
}
