package dev.vera4j.spark;

import dev.vera4j.tools.Cli;
import dev.vera4j.vera.AdapterFile;
import dev.vera4j.vera.VeraLambdas;
import dev.vera4j.vera.VeraSite;
import org.apache.spark.sql.SparkSession;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What the Spark tests share: the test data, a local[2] session on the loopback, and runs of both command lines. */
final class SparkTestSupport {
    static final Path SHARED = Path.of(System.getProperty("vera4j.shared", "../shared"));
    static final Path MODEL = SHARED.resolve("models/stories260K.gguf");
    static final Path PIP = SHARED.resolve("testdata/finetune");

    private SparkTestSupport() {}

    record Run(int code, String out, String err) {}

    /** A local[2] session, loopback only, no UI; the commands find it as the active session and leave it running. */
    static SparkSession session() {
        return SparkSessions.local(SparkSession.builder().master("local[2]").appName("vera4j-test")).getOrCreate();
    }

    static Run vera4j(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Cli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Run spark(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = SparkCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The largest |a − b| over all λ's of two adapters with the same sites, relative to the largest |a|. */
    static double relativeDifference(AdapterFile a, AdapterFile b) {
        assertEquals(a.lambdas().keySet(), b.lambdas().keySet());
        double diff = 0, scale = 0;
        for (Map.Entry<VeraSite, VeraLambdas> e : a.lambdas().entrySet()) {
            VeraLambdas x = e.getValue(), y = b.lambdas().get(e.getKey());
            for (int i = 0; i < x.lambdaB().length; i++) {
                diff = Math.max(diff, Math.abs(x.lambdaB()[i] - y.lambdaB()[i]));
                scale = Math.max(scale, Math.abs(x.lambdaB()[i]));
            }
            for (int i = 0; i < x.lambdaD().length; i++) {
                diff = Math.max(diff, Math.abs(x.lambdaD()[i] - y.lambdaD()[i]));
                scale = Math.max(scale, Math.abs(x.lambdaD()[i]));
            }
        }
        return diff / scale;
    }
}
