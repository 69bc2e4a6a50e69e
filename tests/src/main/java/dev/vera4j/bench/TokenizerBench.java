package dev.vera4j.bench;

import dev.vera4j.engine.tokenizer.Tokenizer;
import dev.vera4j.engine.tokenizer.Tokenizers;
import dev.vera4j.gguf.GgufFile;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Encoding speed of the tokenizers on 1 MB of text: the pip-stories training text (English prose) interleaved with
 * llama.cpp's multilingual tokenizer test inputs, repeated. One operation encodes the whole megabyte in one call, so
 * MB/s = 1000 / (ms per op).
 *
 * <pre>java -jar tests/target/benchmarks.jar TokenizerBench -f 1 -wi 3 -w 2s -i 5 -r 2s</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class TokenizerBench {
    /** Vocabulary: {@code llama-spm} (SentencePiece BPE) or {@code llama-bpe} (Llama 3 byte-level BPE). */
    @Param({"llama-spm", "llama-bpe"})
    public String vocab;

    private Tokenizer tokenizer;
    private String text;
    private int[] ids;

    @Setup
    public void setup() throws IOException {
        Path shared = Path.of(System.getProperty("vera4j.shared", "../shared")).toAbsolutePath();
        try (GgufFile f = GgufFile.open(shared.resolve("testdata/tokenizer/ggml-vocab-" + vocab + ".gguf"))) {
            tokenizer = Tokenizers.fromMetadata(f.metadata());
        }
        text = megabyte(shared);
        ids = tokenizer.encode(text, true, false);
    }

    /** Exactly 1,000,000 UTF-8 bytes (or just under, not to split a character). */
    static String megabyte(Path shared) throws IOException {
        String stories = Files.readString(shared.resolve("testdata/finetune/pip-stories.train.txt"), StandardCharsets.UTF_8);
        String multilingual = Files.readString(shared.resolve("testdata/tokenizer/ggml-vocab-llama-bpe.gguf.inp"), StandardCharsets.UTF_8)
                .replace("\n__ggml_vocab_test__\n", "\n");
        StringBuilder sb = new StringBuilder();
        int bytes = 0;
        for (int round = 0; bytes < 1_000_000; round++) {
            String part = round % 2 == 0 ? stories : multilingual;
            for (int i = 0; i < part.length() && bytes < 1_000_000; ) {
                int cp = part.codePointAt(i);
                int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
                if (bytes + n > 1_000_000) return sb.toString();
                sb.appendCodePoint(cp);
                bytes += n;
                i += Character.charCount(cp);
            }
        }
        return sb.toString();
    }

    @Benchmark
    public int[] encode() {
        return tokenizer.encode(text, true, false);
    }

    @Benchmark
    public String decode() {
        return tokenizer.decode(ids);
    }
}
