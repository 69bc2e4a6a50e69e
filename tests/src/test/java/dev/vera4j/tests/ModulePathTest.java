package dev.vera4j.tests;

import dev.vera4j.engine.Vera4j;
import dev.vera4j.engine.api.GenerateOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.ToolProvider;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The library jars as JPMS modules: an application module that {@code requires dev.vera4j.vera} and
 * {@code dev.vera4j.server} compiles against the built jars on the module path and runs from it, without
 * {@code --add-modules jdk.incubator.vector} (the descriptors read it), and generates the same greedy text as the class
 * path; {@code BackendProvider.of("cuda")} finds the CUDA module's provider through the descriptors alone
 * ({@code uses}/{@code provides}).
 */
class ModulePathTest {
    private static final Path STORIES = Path.of(System.getProperty("vera4j.shared", "../shared"), "models/stories260K.gguf");
    private static final List<String> MODULES = List.of("gguf", "simd", "engine", "vera", "cuda", "server");

    @TempDir Path tmp;

    @Test
    void anApplicationModuleRunsFromTheModulePath() throws Exception {
        List<String> jars = new ArrayList<>();
        for (String m : MODULES) jars.add(jar(m).toString());
        String modulePath = String.join(File.pathSeparator, jars);

        Path src = tmp.resolve("src/demo"), out = tmp.resolve("out");
        Files.createDirectories(src.resolve("demo"));
        Files.writeString(src.resolve("module-info.java"), """
                module demo {
                    requires dev.vera4j.vera;
                    requires dev.vera4j.server;
                }
                """);
        Files.writeString(src.resolve("demo/Main.java"), """
                package demo;

                import dev.vera4j.engine.Vera4j;
                import dev.vera4j.engine.api.GenerateOptions;
                import dev.vera4j.engine.backend.BackendProvider;
                import java.nio.file.Path;
                
                public class Main {
                    public static void main(String[] args) {
                        System.out.println("module " + Vera4j.class.getModule().getName());
                        BackendProvider cuda = BackendProvider.of("cuda");
                        System.out.println("provider " + cuda.getClass().getModule().getName() + " " + cuda.getClass().getName());
                        try (Vera4j model = Vera4j.load(Path.of(args[0]), 1)) {
                            System.out.println("text " + model.generate("Once upon a time",
                                    GenerateOptions.builder().maxTokens(24).temperature(0).build()).text() + "|");
                        }
                    }
                }
                """);
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null, "--module-path", modulePath, "-Xlint:-incubating",
                "-d", out.toString(), src.resolve("module-info.java").toString(), src.resolve("demo/Main.java").toString());
        assertEquals(0, rc, "javac failed on the module path");

        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=dev.vera4j.simd,dev.vera4j.engine,dev.vera4j.cuda",
                "--module-path", modulePath + File.pathSeparator + out, "-m", "demo/demo.Main", STORIES.toString())
                .redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), text);
        assertEquals(0, p.exitValue(), text);
        assertTrue(text.contains("module dev.vera4j.engine\n"), text);
        assertTrue(text.contains("provider dev.vera4j.cuda dev.vera4j.cuda.CudaBackendProvider\n"), text);
        try (Vera4j model = Vera4j.load(STORIES, 1)) {
            String expected = model.generate("Once upon a time", GenerateOptions.builder().maxTokens(24).temperature(0).build()).text();
            assertTrue(text.contains("text " + expected + "|"), text);
        }
    }

    /** The packaged jar of module {@code m} ({@code mvn verify} packages every module before this one's tests). */
    private static Path jar(String m) throws IOException {
        Path target = Path.of("..", m, "target");
        try (Stream<Path> s = Files.list(target)) {
            Path jar = s.filter(f -> f.getFileName().toString().matches("vera4j-" + m + "-[0-9].*(?<!-tests)\\.jar")).findFirst().orElse(null);
            assumeTrue(jar != null, "no packaged jar in " + target + ": run mvn verify (or package) first");
            return jar;
        }
    }
}
