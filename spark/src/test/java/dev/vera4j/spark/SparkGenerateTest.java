package dev.vera4j.spark;

import dev.vera4j.engine.json.Json;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.vera4j.spark.SparkTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/** {@code vera4j-spark generate} row by row against {@code vera4j generate --json} with the same prompt, adapter and flags. */
class SparkGenerateTest {
    static SparkSession spark;
    @TempDir static Path shared;
    static Path adapter;
    @TempDir Path dir;

    @BeforeAll
    static void start() {
        spark = session();
        adapter = shared.resolve("pip.vera.gguf");
        Run r = vera4j("train", "-m", MODEL.toString(), "--data", PIP.resolve("pip-stories.train.txt").toString(), "-o", adapter.toString(),
                "--rank", "16", "--targets", "q,k,v,o,gate,up,down", "--lr", "5e-2", "--seq", "64", "--batch", "4", "--steps", "6");
        assertEquals(0, r.code(), r.err());
    }

    @AfterAll
    static void stop() { spark.stop(); }

    static final String[] PROMPTS = {"Once upon a time", "Pip said", "The little dog", "One day, a girl named Lily"};

    private Path prompts() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < PROMPTS.length; i++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", (long) i);
            m.put("prompt", PROMPTS[i]);
            if (i % 2 == 1) m.put("adapter", adapter.toString());
            lines.add(Json.write(m));
        }
        Path p = dir.resolve("prompts.jsonl");
        Files.write(p, lines);
        return p;
    }

    private void compare(String... sampling) throws Exception {
        Path out = dir.resolve("out" + String.join("", sampling).replaceAll("[^0-9a-z]", ""));
        List<String> args = new ArrayList<>(List.of("generate", "-m", MODEL.toString(), "--input", prompts().toString(), "--adapter-column", "adapter",
                "--output", out.toString(), "--partitions", "2", "-n", "24"));
        args.addAll(List.of(sampling));
        Run r = spark(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        List<Row> rows = spark.read().json(out.toString()).orderBy("id").collectAsList();
        assertEquals(PROMPTS.length, rows.size());
        for (int i = 0; i < PROMPTS.length; i++) {
            Row row = rows.get(i);
            assertEquals(PROMPTS[i], row.getAs("prompt"), "the input columns are kept");
            List<String> cli = new ArrayList<>(List.of("generate", "-m", MODEL.toString(), "-p", PROMPTS[i], "-n", "24", "--json", "--quiet"));
            cli.addAll(List.of(sampling));
            if (i % 2 == 1) cli.addAll(List.of("--adapter", adapter.toString()));
            Run g = vera4j(cli.toArray(String[]::new));
            assertEquals(0, g.code(), g.err());
            Map<?, ?> want = (Map<?, ?>) Json.parse(g.out().strip());
            assertEquals(want.get("text"), row.getAs("text"), "row " + i);
            assertEquals(((List<?>) want.get("generated_ids")).size(), ((Number) row.getAs("generated_tokens")).intValue());
            assertEquals(want.get("stop_reason"), row.getAs("stop_reason"));
        }
    }

    @Test
    void greedyRowsEqualVera4jGenerate() throws Exception { compare("--temp", "0"); }

    @Test
    void seededRowsEqualVera4jGenerate() throws Exception { compare("--temp", "0.8", "--seed", "42"); }

    @Test
    void theAdapterChangesTheText() throws Exception {
        Run a = vera4j("generate", "-m", MODEL.toString(), "-p", "Once upon a time", "-n", "24", "--temp", "0", "--json", "--quiet");
        Run b = vera4j("generate", "-m", MODEL.toString(), "-p", "Once upon a time", "-n", "24", "--temp", "0", "--json", "--quiet", "--adapter", adapter.toString());
        assertNotEquals(((Map<?, ?>) Json.parse(a.out())).get("text"), ((Map<?, ?>) Json.parse(b.out())).get("text"));
    }

    @Test
    void missingColumnsAndFilesAreOneLineErrors() throws Exception {
        Path in = dir.resolve("p.jsonl");
        Files.writeString(in, "{\"text\": \"Once\"}\n");
        Run r = spark("generate", "-m", MODEL.toString(), "--input", in.toString(), "--output", dir.resolve("o1").toString());
        assertEquals(1, r.code(), r.err());
        assertEquals("error: no prompt column 'prompt' in the input (columns: [text])", r.err().strip());
        r = spark("generate", "-m", MODEL.toString(), "--input", dir.resolve("none.jsonl").toString(), "--output", dir.resolve("o2").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("error: --input: "), r.err());
        Files.writeString(in, "{\"prompt\": \"Once\", \"adapter\": \"" + dir.resolve("gone.gguf") + "\"}\n");
        r = spark("generate", "-m", MODEL.toString(), "--input", in.toString(), "--adapter-column", "adapter", "--output", dir.resolve("o3").toString());
        assertEquals(1, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("gone.gguf"), r.err());
    }
}
