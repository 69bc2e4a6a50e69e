package dev.vera4j.engine.tokenizer;

import dev.vera4j.gguf.GgufFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Loads llama.cpp's tokenizer test suites ({@code ggml-vocab-NAME.gguf} with its {@code .inp}/{@code .out}) once per run. */
final class VocabSuites {
    static final Path DIR = Path.of(System.getProperty("vera4j.shared", "../shared")).resolve("testdata/tokenizer");
    private static final Map<String, Tokenizer> CACHE = new HashMap<>();

    /** One input text and the ids llama.cpp gives it without special tokens. */
    record Case(int index, String text, int[] ids) {}

    private VocabSuites() {}

    static synchronized Tokenizer tokenizer(String name) {
        return CACHE.computeIfAbsent(name, n -> {
            try (GgufFile f = GgufFile.open(DIR.resolve("ggml-vocab-" + n + ".gguf"))) {
                return Tokenizers.fromMetadata(f.metadata());
            }
        });
    }

    /** The cases, read as llama.cpp's test-tokenizer-0 reads them. */
    static List<Case> cases(String name) {
        try {
            String inp = Files.readString(DIR.resolve("ggml-vocab-" + name + ".gguf.inp"), StandardCharsets.UTF_8);
            List<String> out = Files.readAllLines(DIR.resolve("ggml-vocab-" + name + ".gguf.out"), StandardCharsets.UTF_8);
            String sep = "\n__ggml_vocab_test__\n";
            List<String> texts = new ArrayList<>();
            int pos = 0;
            while (pos < inp.length()) {
                int next = inp.indexOf(sep, pos);
                if (next < 0) { texts.add(inp.substring(pos)); break; }
                texts.add(inp.substring(pos, next));
                pos = next + sep.length();
            }
            if (texts.size() != out.size()) {
                throw new IllegalStateException(name + ": " + texts.size() + " inputs but " + out.size() + " expected lines");
            }
            List<Case> cases = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                String line = out.get(i).strip();
                int[] ids = line.isEmpty() ? new int[0]
                        : java.util.Arrays.stream(line.split(" ")).mapToInt(Integer::parseInt).toArray();
                cases.add(new Case(i, texts.get(i), ids));
            }
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
