package dev.vera4j.spark;

import dev.vera4j.engine.json.Json;
import dev.vera4j.vera.AdapterFile;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.vera4j.spark.SparkTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code vera4j-spark train-many} on the Pip stories split into tenants: each tenant's adapter is bit for bit the one
 * {@code vera4j train} makes from that tenant's rows alone (one task trains one key with the same trainer).
 */
class SparkTrainManyTest {
    static SparkSession spark;
    @TempDir Path dir;

    @BeforeAll
    static void start() { spark = session(); }

    @AfterAll
    static void stop() { spark.stop(); }

    static final List<String> FLAGS = List.of("--rank", "8", "--targets", "q,v,down", "--lr", "2e-2", "--seq", "64", "--batch", "3",
            "--steps", "4", "--seed", "3", "--schedule", "linear");

    @Test
    void eachTenantsAdapterEqualsTrainingItAlone() throws Exception {
        List<String> pip = Files.readAllLines(PIP.resolve("pip-stories.train.jsonl"));
        String[] tenants = {"acme", "globex", "initech corp"};
        List<String> table = new ArrayList<>();
        List<List<String>> alone = new ArrayList<>();
        for (String t : tenants) alone.add(new ArrayList<>());
        for (int i = 0; i < 30; i++) {
            Map<?, ?> row = (Map<?, ?>) Json.parse(pip.get(i));
            table.add(Json.write(Map.of("tenant", tenants[i % 3], "text", row.get("text"))));
            alone.get(i % 3).add(pip.get(i));
        }
        Path data = dir.resolve("tenants.jsonl"), out = dir.resolve("adapters"), summary = dir.resolve("summary.jsonl");
        Files.write(data, table);
        List<String> args = new ArrayList<>(List.of("train-many", "-m", MODEL.toString(), "--data", data.toString(), "--key-column", "tenant",
                "--output", out.toString(), "--summary", summary.toString(), "--partitions", "2"));
        args.addAll(FLAGS);
        Run r = spark(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("trained 3 adapters"), r.out());
        List<String> lines = Files.readAllLines(summary);
        assertEquals(3, lines.size());
        for (int k = 0; k < 3; k++) {
            Path mine = dir.resolve("alone-" + k + ".jsonl"), single = dir.resolve("alone-" + k + ".vera.gguf");
            Files.write(mine, alone.get(k));
            List<String> train = new ArrayList<>(List.of("train", "-m", MODEL.toString(), "--data", mine.toString(), "-o", single.toString()));
            train.addAll(FLAGS);
            Run s = vera4j(train.toArray(String[]::new));
            assertEquals(0, s.code(), s.err());
            Path written = out.resolve(tenants[k].replace(' ', '_') + ".gguf");
            assertEquals(0.0, relativeDifference(AdapterFile.read(single), AdapterFile.read(written)), tenants[k]);
            Map<?, ?> row = (Map<?, ?>) Json.parse(lines.get(k));
            assertEquals(tenants[k], row.get("key"));
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\); (\\d+) examples").matcher(s.out());
            assertTrue(m.find(), s.out());
            assertEquals(Long.parseLong(m.group(1)), row.get("examples"), "examples as vera4j train counts them (long rows split at --seq)");
            double loss = ((Number) row.get("final_loss")).doubleValue();
            assertTrue(loss > 0 && loss < 10, lines.get(k));
        }
        try (var files = Files.list(out)) {
            assertEquals(List.of("acme.gguf", "globex.gguf", "initech_corp.gguf"), files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "only the adapters: no temporary or checksum files");
        }
    }

    @Test
    void missingColumnsAndFilesAreOneLineErrors() throws Exception {
        Path data = dir.resolve("t.jsonl");
        Files.writeString(data, "{\"user\": \"a\", \"text\": \"Once upon a time\"}\n");
        Run r = spark("train-many", "-m", MODEL.toString(), "--data", data.toString(), "--key-column", "tenant", "--output", dir.resolve("o").toString());
        assertEquals(1, r.code(), r.err());
        assertEquals("error: no key column 'tenant' in the data (columns: [text, user])", r.err().strip());
        r = spark("train-many", "-m", MODEL.toString(), "--data", dir.resolve("none.jsonl").toString(), "--key-column", "user", "--output", dir.resolve("o").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("error: --data: ") && r.err().contains("not found"), r.err());
    }

    @Test
    void clashingKeysAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ManyAdapters.fileNames(List.of("a b", "a_b")));
        assertTrue(e.getMessage().contains("a_b.gguf"), e.getMessage());
        assertEquals(Map.of("x/y", "x_y.gguf", ".hidden", "_hidden.gguf"), ManyAdapters.fileNames(List.of("x/y", ".hidden")));
    }
}
