package dev.vera4j.spark;

import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code train-many}: one adapter per value of a key column (tenant, user, task), each trained in one Spark task on its
 * key's rows in their input order, exactly as {@code vera4j train} trains on those rows alone
 * ({@link TenantTraining}), and written as {@code OUTPUT/KEY.gguf}: a folder {@code vera4j serve --adapters} serves as
 * one model per key. The other columns of a row are its example, as a line of a {@code .jsonl} training file:
 * {@code text}, {@code prompt}/{@code completion} or {@code messages}.
 *
 * <pre>{@code
 * Dataset<Row> summary = ManyAdapters.train(spark.read().json("tickets.jsonl"), "tenant", training, "hdfs:///adapters", 64);
 * summary.show();   // key, examples, final_loss, file
 * }</pre>
 */
public final class ManyAdapters {
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._-]+");

    private ManyAdapters() {}

    /** The summary's columns. */
    public static final StructType SUMMARY = new StructType().add("key", DataTypes.StringType).add("examples", DataTypes.IntegerType)
            .add("final_loss", DataTypes.DoubleType).add("file", DataTypes.StringType);

    /**
     * Trains every key's adapter into {@code outputDir}.
     *
     * @param partitions tasks to spread the keys over (at most one per key)
     * @throws IllegalArgumentException for a missing key column, a null key, or two keys that give one file name
     */
    public static Dataset<Row> train(Dataset<Row> data, String keyColumn, TenantTraining training, String outputDir, int partitions) {
        List<String> names = Arrays.asList(data.columns());
        if (!names.contains(keyColumn)) throw new IllegalArgumentException("no key column '" + keyColumn + "' in the data (columns: " + names + ")");
        List<Column> example = new ArrayList<>();
        for (String c : names) if (!c.equals(keyColumn)) example.add(functions.col(c));
        if (example.isEmpty()) throw new IllegalArgumentException("the data has only the key column '" + keyColumn + "'");
        Dataset<Row> rows = data.select(functions.col(keyColumn).cast(DataTypes.StringType).as("key"),
                functions.to_json(functions.struct(example.toArray(Column[]::new))).as("json"),
                functions.monotonically_increasing_id().as("row"));
        Map<String, String> files = fileNames(rows.select("key").distinct().collectAsList().stream().map(r -> r.getString(0)).toList());
        int tasks = Math.max(1, Math.min(partitions, files.size()));
        JavaPairRDD<String, Tuple2<Long, String>> byKey = rows.javaRDD()
                .mapToPair(r -> new Tuple2<>(r.getString(0), new Tuple2<>(r.getLong(2), r.getString(1))));
        List<Row> summary = byKey.groupByKey(tasks).map(group -> {
            List<Tuple2<Long, String>> lines = new ArrayList<>();
            group._2().forEach(lines::add);
            lines.sort(Comparator.comparing(Tuple2::_1));   // the input's order, as a file of the key's rows has it
            TenantTraining.Outcome o = training.train(group._1(), lines.stream().map(Tuple2::_2).toList(), outputDir, files.get(group._1()));
            return RowFactory.create(group._1(), o.examples(), o.finalLoss(), o.file());
        }).collect();
        List<Row> sorted = new ArrayList<>(summary);
        sorted.sort(Comparator.comparing(r -> r.getString(0)));
        return SparkSession.active().createDataFrame(sorted, SUMMARY);
    }

    /** {@code KEY.gguf} for each key, with characters other than letters, digits, '.', '_' and '-' as '_'. */
    static Map<String, String> fileNames(List<String> keys) {
        Map<String, String> out = new HashMap<>(), owner = new HashMap<>();
        for (String k : keys) {
            if (k == null || k.isEmpty()) throw new IllegalArgumentException("a row has no key (null or empty)");
            String safe = SAFE.matcher(k).matches() && !k.startsWith(".") ? k : k.replaceAll("[^A-Za-z0-9._-]", "_").replaceFirst("^\\.", "_");
            String name = safe + ".gguf";
            String before = owner.putIfAbsent(name, k);
            if (before != null) throw new IllegalArgumentException("keys '" + before + "' and '" + k + "' would both be written as " + name);
            out.put(k, name);
        }
        return out;
    }
}
