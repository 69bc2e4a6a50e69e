package dev.vera4j.spark;

import dev.vera4j.tools.UsageException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * How the {@code vera4j-spark} commands read their tables and report Spark's failures: {@code .parquet} as Parquet,
 * {@code .txt} as one {@code prompt} per line, anything else as JSON lines; a local path that does not exist is a
 * one-line error before Spark starts a job, and an exception from a job is reported by its innermost message (a
 * task's error arrives wrapped in several of Spark's).
 *
 * <pre>{@code
 * Dataset<Row> rows = SparkIo.read(spark, "prompts.jsonl", "--input");
 * long n = SparkIo.reported(() -> rows.count());
 * }</pre>
 */
final class SparkIo {
    private SparkIo() {}

    static Dataset<Row> read(SparkSession spark, String path, String flag) {
        requireLocal(path, flag);
        String p = path.toLowerCase(java.util.Locale.ROOT).replaceAll("/+$", "");
        if (p.endsWith(".parquet")) return spark.read().parquet(path);
        if (p.endsWith(".txt")) return spark.read().text(path).withColumnRenamed("value", "prompt");
        return spark.read().json(path);
    }

    /** Fails with a usage error when {@code path} is a local path (no scheme, or file:) that does not exist. */
    static void requireLocal(String path, String flag) {
        Path local = localPath(path);
        if (local != null && !Files.exists(local)) throw new UsageException(flag + ": " + path + " not found");
    }

    /** The local file of {@code path}, or null when it names another file system. */
    static Path localPath(String path) {
        try {
            URI u = new URI(path);
            if (u.getScheme() == null) return Path.of(path);
            return u.getScheme().equals("file") ? Path.of(u) : null;
        } catch (Exception e) {
            return Path.of(path);
        }
    }

    /** Runs {@code job}, turning whatever it throws into an exception with the innermost cause's message. */
    static <T> T reported(Supplier<T> job) {
        try {
            return job.get();
        } catch (UsageException | IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            Throwable t = e;
            while (t.getCause() != null && t.getCause() != t) t = t.getCause();
            String m = t.getMessage() == null ? t.toString() : t.getMessage();
            throw new IllegalStateException(m.lines().findFirst().orElse(m), e);
        }
    }
}
