package dev.vera4j.engine.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/** One {@code ../shared/testdata/reference/*.txt} file: prompt ids, llama.cpp's greedy ids, PyTorch's last-position logits. */
public record ReferenceData(String name, String prompt, int[] promptIds, int[] generatedIds, float[] logits) {
    public static Path shared() { return Path.of(System.getProperty("vera4j.shared", "../shared")); }

    public static Path stories() { return shared().resolve("models/stories260K.gguf"); }

    /** stories260K with every matrix whose rows are whole blocks (all but ffn_down) quantized to {@code type}, written to {@code out}. */
    public static Path quantizedStories(dev.vera4j.gguf.GgmlType type, Path out) throws IOException {
        try (var f = dev.vera4j.gguf.GgufFile.open(stories()); var arena = java.lang.foreign.Arena.ofConfined()) {
            var w = dev.vera4j.gguf.GgufWriter.copyOf(f);
            for (var t : f.tensors().values()) {
                if (t.rank() != 2 || t.cols() % type.blockSize() != 0) continue;
                int count = Math.toIntExact(t.elementCount());
                float[] values = new float[count];
                dev.vera4j.gguf.types.Codecs.of(t.type()).dequantize(t.data(), 0, values, 0, count);
                var q = arena.allocate(type.bytesFor(count));
                dev.vera4j.gguf.types.Codecs.of(type).quantize(values, 0, count, q, 0);
                w.removeTensor(t.name()).addTensor(t.name(), type, t.shape(), q);
            }
            w.write(out);
        }
        return out;
    }

    public static List<ReferenceData> all() {
        try (Stream<Path> files = Files.list(shared().resolve("testdata/reference"))) {
            List<ReferenceData> out = new ArrayList<>();
            for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".txt")).sorted().toList()) out.add(read(p));
            if (out.isEmpty()) throw new IllegalStateException("no reference files");
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ReferenceData read(Path p) throws IOException {
        String prompt = null;
        int[] prompt_ids = null, generated = null;
        float[] logits = null;
        for (String line : Files.readAllLines(p)) {
            if (line.startsWith("#")) continue;
            int colon = line.indexOf(':');
            if (colon < 0) continue;
            String key = line.substring(0, colon), value = line.substring(colon + 1).trim();
            switch (key) {
                case "prompt" -> prompt = value;
                case "prompt_ids" -> prompt_ids = Arrays.stream(value.split("\\s+")).mapToInt(Integer::parseInt).toArray();
                case "generated_ids" -> generated = Arrays.stream(value.split("\\s+")).mapToInt(Integer::parseInt).toArray();
                case "logits" -> {
                    String[] parts = value.split("\\s+");
                    logits = new float[parts.length];
                    for (int i = 0; i < parts.length; i++) logits[i] = Float.parseFloat(parts[i]);
                }
                default -> { }
            }
        }
        return new ReferenceData(p.getFileName().toString(), prompt, prompt_ids, generated, logits);
    }

    @Override
    public String toString() { return name; }
}
