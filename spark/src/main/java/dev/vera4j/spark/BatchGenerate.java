package dev.vera4j.spark;

import dev.vera4j.engine.api.Generation;
import dev.vera4j.engine.api.GenerateOptions;
import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.api.Session;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.vera.AdapterCache;
import dev.vera4j.vera.AdapterLoader;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.VeraAdapter;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * Batch generation as a {@code Dataset} transformation: every row's prompt (a string column) is continued as
 * {@code vera4j generate} continues it, with the row's adapter ({@code FILE[:WEIGHT]} in an optional column; null or
 * empty: the base model), and the rows come back with three more columns: {@code text}, {@code generated_tokens}
 * and {@code stop_reason} ({@code length}, {@code eos}, ...). A partition runs on its executor's one loaded model
 * ({@link ExecutorModels}), reusing one session and each adapter file's prepared weights across rows.
 *
 * <pre>{@code
 * Dataset<Row> out = BatchGenerate.apply(spark.read().json("prompts.jsonl"), "prompt", "adapter",
 *         GenerateSpec.defaults("/models/base.gguf").withTemperature(0).withMaxTokens(64));
 * }</pre>
 */
public final class BatchGenerate {
    /** The columns added to each row. */
    public static final List<String> OUTPUT_COLUMNS = List.of("text", "generated_tokens", "stop_reason");

    private BatchGenerate() {}

    /**
     * @param adapterColumn a column of adapter specs, or {@code null} for none
     * @throws IllegalArgumentException naming a missing column, a non-string one, or an output column already there
     */
    public static Dataset<Row> apply(Dataset<Row> input, String promptColumn, String adapterColumn, GenerateSpec spec) {
        StructType schema = input.schema();
        int prompt = stringColumn(schema, promptColumn, "prompt");
        int adapter = adapterColumn == null ? -1 : stringColumn(schema, adapterColumn, "adapter");
        for (String c : OUTPUT_COLUMNS) {
            if (Arrays.asList(schema.fieldNames()).contains(c)) throw new IllegalArgumentException("the input already has a column '" + c + "'");
        }
        StructType out = schema.add("text", DataTypes.StringType).add("generated_tokens", DataTypes.IntegerType)
                .add("stop_reason", DataTypes.StringType);
        MapPartitionsFunction<Row, Row> f = rows -> ExecutorModels.use(spec.modelKey(), loaded -> generateAll(loaded, rows, prompt, adapter, spec));
        return input.mapPartitions(f, Encoders.row(out));
    }

    private static int stringColumn(StructType schema, String name, String what) {
        List<String> names = Arrays.asList(schema.fieldNames());
        if (!names.contains(name)) throw new IllegalArgumentException("no " + what + " column '" + name + "' in the input (columns: " + names + ")");
        int i = schema.fieldIndex(name);
        if (!schema.fields()[i].dataType().equals(DataTypes.StringType)) {
            throw new IllegalArgumentException("the " + what + " column '" + name + "' holds " + schema.fields()[i].dataType().simpleString() + ", not strings");
        }
        return i;
    }

    /** Generates for every row of a partition (collected: the model is held for the whole partition). */
    private static Iterator<Row> generateAll(ExecutorModels.Loaded loaded, Iterator<Row> rows, int prompt, int adapter, GenerateSpec spec) {
        Model model = loaded.model();
        int ctx = Math.min(spec.ctx(), model.config().contextLength());
        Session session = loaded.cached(List.of("session", ctx), () -> model.newSession(ctx, KvType.F16, 128));
        AdapterCache adapters = loaded.cached("adapters", () -> new AdapterCache(BaseFingerprint.of(model.path()), 1L << 30));
        GenerateOptions options = spec.options();
        List<Row> out = new ArrayList<>();
        while (rows.hasNext()) {
            Row r = rows.next();
            String p = r.isNullAt(prompt) ? "" : r.getString(prompt);
            String a = adapter < 0 || r.isNullAt(adapter) ? "" : r.getString(adapter).strip();
            VeraAdapter hook = null;
            if (!a.isEmpty()) {
                AdapterLoader.Spec s = AdapterLoader.Spec.parse(a);
                hook = new VeraAdapter(adapters.get(s.path()), session.batchSize(), s.weight(), model.pool());
                session.addHook(hook);
            }
            try {
                session.reset();
                Generation g = session.generate(model.tokenizer().encode(p, true, true), options, (id, text) -> {});
                Object[] values = new Object[r.size() + 3];
                for (int i = 0; i < r.size(); i++) values[i] = r.get(i);
                values[r.size()] = g.text();
                values[r.size() + 1] = g.tokens().length;
                values[r.size() + 2] = g.stopReason().name().toLowerCase();
                out.add(RowFactory.create(values));
            } finally {
                if (hook != null) session.removeHook(hook);
            }
        }
        return out.iterator();
    }
}
