package dev.vera4j.spark;

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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.vera4j.spark.SparkTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code vera4j-spark train} against {@code vera4j train} on stories260K and the Pip stories: the same flags, the
 * same adapter. One shard per step gives the same bits; two shards per step add the two halves' gradient sums instead
 * of example after example, so λ's may differ by float rounding, amplified a little by AdamW's normalisation over the
 * steps: the tolerance is 1e-4 of the largest |λ| after 8 steps (measured: 4.4e-6).
 */
class SparkTrainTest {
    static SparkSession spark;
    @TempDir Path dir;

    @BeforeAll
    static void start() { spark = session(); }

    @AfterAll
    static void stop() { spark.stop(); }

    private static List<String> flags(Path data, Path valid, Path out) {
        return new ArrayList<>(List.of("-m", MODEL.toString(), "--data", data.toString(), "--valid", valid.toString(),
                "-o", out.toString(), "--rank", "16", "--targets", "q,k,v,o,gate,up,down", "--lr", "3e-2", "--seq", "64",
                "--batch", "6", "--steps", "8", "--seed", "7", "--schedule", "cosine", "--warmup", "2", "--weight-decay", "0.01",
                "--eval-every", "4"));
    }

    private static List<Double> evals(String out) {
        List<Double> l = new ArrayList<>();
        Matcher m = Pattern.compile("eval at step \\d+: loss ([0-9.]+)").matcher(out);
        while (m.find()) l.add(Double.parseDouble(m.group(1)));
        return l;
    }

    private Path validSubset(String ext) throws Exception {
        List<String> lines = Files.readAllLines(PIP.resolve("pip-stories.valid." + ext));
        Path v = dir.resolve("valid." + ext);
        Files.write(v, ext.equals("jsonl") ? lines.subList(0, 12) : lines.subList(0, 24));
        return v;
    }

    @Test
    void oneShardPerStepEqualsSingleProcessBitForBit() throws Exception {
        Path valid = validSubset("txt"), data = PIP.resolve("pip-stories.train.txt");
        Path single = dir.resolve("single.vera.gguf"), distributed = dir.resolve("spark.vera.gguf");
        Run a = vera4j(cat(List.of("train"), flags(data, valid, single)));
        assertEquals(0, a.code(), a.err());
        Run b = spark(cat(List.of("train", "--partitions", "1"), flags(data, valid, distributed)));
        assertEquals(0, b.code(), b.err());
        assertEquals(0.0, relativeDifference(AdapterFile.read(single), AdapterFile.read(distributed)));
        assertEquals(evals(a.out()), evals(b.out()));
        assertEquals(3, evals(b.out()).size(), b.out());
        assertTrue(Files.exists(Path.of(distributed + ".ckpt")), "checkpoint written as by vera4j train");
    }

    @Test
    void twoShardsPerStepEqualSingleProcessUpToSummationOrder() throws Exception {
        Path valid = validSubset("jsonl"), data = PIP.resolve("pip-stories.train.jsonl");
        Path single = dir.resolve("single.vera.gguf"), distributed = dir.resolve("spark.vera.gguf");
        Run a = vera4j(cat(List.of("train"), flags(data, valid, single)));
        assertEquals(0, a.code(), a.err());
        Run b = spark(cat(List.of("train", "--partitions", "2"), flags(data, valid, distributed)));
        assertEquals(0, b.code(), b.err());
        AdapterFile x = AdapterFile.read(single), y = AdapterFile.read(distributed);
        double rel = relativeDifference(x, y);
        System.out.println("two shards: max |Δλ| / max |λ| = " + rel);
        assertTrue(rel < 1e-4, "relative difference " + rel);
        List<Double> ea = evals(a.out()), eb = evals(b.out());
        assertEquals(ea.size(), eb.size());
        for (int i = 0; i < ea.size(); i++) assertEquals(ea.get(i), eb.get(i), 1e-3, "validation loss " + i);
        assertTrue(eb.getLast() < 0.9 * eb.getFirst(), "training lowered the validation loss: " + eb);
    }

    @Test
    void missingFilesAreOneLineErrors() {
        Run r = spark("train", "--partitions", "2", "-m", dir.resolve("nope.gguf").toString(), "--data", "x.txt", "-o", dir.resolve("o.gguf").toString());
        assertNotEquals(0, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        r = spark("train", "--partitions", "0", "-m", MODEL.toString(), "--data", "x.txt", "-o", "o.gguf");
        assertEquals(2, r.code(), r.err());
    }

    static String[] cat(List<String> a, List<String> b) {
        List<String> l = new ArrayList<>(a);
        l.addAll(b);
        return l.toArray(String[]::new);
    }
}
