package dev.vera4j.tools;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The training run of the CLI's ahead-of-time cache ({@link StartupCache}; JEP 483/515): what a JVM started with
 * {@code -XX:AOTCacheOutput} runs so that the cache holds the classes a command loads, linked, and the method profiles
 * of its hot code — above all the Vector API kernels, which are slow until C2 has compiled them, and the profiles let
 * it compile them at once. It writes small random models of the common quantization types (Q4_0, Q8_0, Q4_K_M, Q6_K,
 * Q5_K_M, F16; the output matrix in Q6_K as llama-quantize gives it) into a temporary folder and runs {@code generate}
 * on each twice — once packing the matrices, once reading them from the pack cache — so that prefill, decode, packing
 * and the cache's read are all in the profiles. Nothing is printed; the folder is deleted.
 *
 * <pre>{@code
 * java -XX:AOTCacheOutput=vera4j.aot --add-modules jdk.incubator.vector -cp vera4j.jar dev.vera4j.tools.AotTraining
 * }</pre>
 * Run it with {@code VERA4J_CACHE} pointing at a scratch folder (as {@link StartupCache} does), or the packed copies of
 * the temporary models land in the user's cache.
 */
public final class AotTraining {
    private static final List<QuantMix> TYPES = List.of(QuantMix.Q4_0, QuantMix.Q8_0, QuantMix.Q4_K_M, QuantMix.Q6_K, QuantMix.Q5_K_M, QuantMix.F16);
    private static final String PROMPT = "Once upon a time, in a small village by the sea, there lived a girl who loved to read old books.";

    private AotTraining() {}

    public static void main(String[] args) throws IOException {
        Path dir = Files.createTempDirectory("vera4j-aot");
        PrintStream none = new PrintStream(OutputStream.nullOutputStream());
        try {
            ModelShape shape = ModelShape.named("small-llama3");
            for (QuantMix type : TYPES) {
                Path model = dir.resolve("small-" + type + ".gguf");
                MakeModelCommand.writer(shape, type, false, 7).write(model);
                for (int run = 0; run < 2; run++) {
                    int code = Cli.run(new String[] {"generate", "-m", model.toString(), "-p", PROMPT, "-n", "48", "--temp", "0"}, none, none);
                    if (code != 0) throw new IllegalStateException("training run failed on " + type + " (exit " + code + ")");
                }
            }
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (UncheckedIOException ignored) {
                // a temporary folder left behind is not worth failing the cache for
            }
        }
    }
}
