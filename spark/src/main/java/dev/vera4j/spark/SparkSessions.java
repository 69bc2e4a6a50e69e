package dev.vera4j.spark;

import org.apache.spark.sql.SparkSession;

/**
 * The Spark session a {@code vera4j-spark} command runs in: the one already active in this JVM (a test's, a notebook's),
 * else a new one for {@code --master} (or {@code spark-submit}'s {@code spark.master}, else {@code local[*]}). Local
 * masters bind the driver to 127.0.0.1 and run without the web UI.
 *
 * <pre>{@code
 * try (SparkSessions.Handle h = SparkSessions.open("local[2]")) {
 *     Dataset<Row> rows = h.session().read().json("prompts.jsonl");
 * }
 * }</pre>
 */
public final class SparkSessions {
    private SparkSessions() {}

    /** A session and whether closing the handle stops it (only sessions this class started). */
    public record Handle(SparkSession session, boolean owned) implements AutoCloseable {
        @Override
        public void close() {
            if (owned) session.stop();
        }
    }

    /** The active session, or a new one for {@code master} (null: spark-submit's, else {@code local[*]}). */
    public static Handle open(String master) {
        scala.Option<SparkSession> active = SparkSession.getActiveSession();
        if (active.isEmpty()) active = SparkSession.getDefaultSession();
        if (active.isDefined()) return new Handle(active.get(), false);
        String m = master != null ? master : System.getProperty("spark.master", "local[*]");
        SparkSession.Builder b = SparkSession.builder().appName("vera4j").master(m);
        if (m.startsWith("local")) b = local(b);
        return new Handle(b.getOrCreate(), true);
    }

    /** Loopback-only settings for local mode (tests, single machines). */
    public static SparkSession.Builder local(SparkSession.Builder b) {
        return b.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "8");
    }
}
