package dev.vera4j.tools;

import dev.vera4j.engine.api.GenerateOptions;
import dev.vera4j.engine.api.GenerationListener;
import dev.vera4j.engine.api.Model;
import dev.vera4j.engine.kv.KvType;
import dev.vera4j.engine.model.ModelConfig;
import dev.vera4j.engine.tokenizer.Tokenizer;
import dev.vera4j.engine.tokenizer.Tokenizers;
import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.gguf.GgufMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

class MakeModelCommandTest {
    @TempDir Path dir;

    static int cli(String... args) {
        return Cli.run(args, new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream()));
    }

    @ParameterizedTest
    @CsvSource({"tiny,Q8_0", "tiny,F32", "tiny-llama3,Q4_0", "tiny-qwen2,F16", "tiny-qwen2,Q8_0", "tiny-gemma2,Q8_0",
            "tiny-gemma3,Q4_0", "tiny-phi3,F16", "tiny-mixtral,Q8_0", "tiny-qwen2moe,Q4_0", "tiny-qwen3moe,Q8_0"})
    void writesALoadableModelOfTheShape(String shapeName, String typeName) throws IOException {
        Path file = dir.resolve(shapeName + "." + typeName + ".gguf");
        assertEquals(0, cli("make-model", "--shape", shapeName, "--type", typeName, "-o", file.toString()));
        ModelShape shape = ModelShape.named(shapeName);
        GgmlType type = GgmlType.valueOf(typeName);
        try (GgufFile f = GgufFile.open(file)) {
            assertEquals(type, f.tensor("blk.1.attn_output.weight").type());
            assertEquals(GgmlType.F32, f.tensor("blk.0.attn_norm.weight").type());
            assertEquals(shape.tied(), f.findTensor("output.weight") == null);
            assertEquals(shape.llama3Rope(), f.findTensor("rope_freqs.weight") != null);
            assertEquals(shape.qkvBias(), f.findTensor("blk.0.attn_q.bias") != null);
            assertEquals(shape.qkNorm(), f.findTensor("blk.0.attn_k_norm.weight") != null);
            assertEquals(shape.gemma(), f.findTensor("blk.1.post_ffw_norm.weight") != null);
            assertEquals(shape.fused(), f.findTensor("blk.0.attn_qkv.weight") != null);
            assertEquals(shape.moe() != null, f.findTensor("blk.1.ffn_down_exps.weight") != null);
            if (shape.moe() != null) assertEquals(GgmlType.F32, f.tensor("blk.0.ffn_gate_inp.weight").type());
        }
        try (Model m = Model.load(file, 1)) {
            ModelConfig c = m.config();
            assertEquals(shape.architecture(), c.architecture());
            assertEquals(shape.dim(), c.dim());
            assertEquals(shape.layers(), c.blockCount());
            assertEquals(shape.heads(), c.headCount());
            assertEquals(shape.kvHeads(), c.headCountKv());
            assertEquals(shape.ffn(), c.feedForwardLength());
            assertEquals(shape.vocab(), c.vocabSize());
            assertEquals(shape.headSize(), c.headDim());
            assertEquals(shape.moe() == null ? 0 : shape.moe().experts(), c.moe() ? c.experts().count() : 0);
            assertEquals(shape.moe() != null && shape.moe().sharedFfn() > 0, c.moe() && c.experts().shared());
            assertEquals(shape.window(), c.window().size());
            assertEquals(shape.originalContext() > 0, c.ropeScaling().type() == dev.vera4j.engine.model.RopeScaling.Type.LONGROPE);
            assertEquals(shape.vocab(), m.tokenizer().vocabSize());
            String text = "Hello world, 42 times!";
            assertEquals(text, m.tokenizer().decode(m.tokenizer().encode(text, false, false)));
            int[] a = m.newSession(64, KvType.F32).generate(text, GenerateOptions.builder().temperature(0).maxTokens(8).ignoreEndOfGeneration().build(), GenerationListener.NONE).tokens();
            int[] b = m.newSession(64, KvType.F16).generate(text, GenerateOptions.builder().temperature(0).maxTokens(8).ignoreEndOfGeneration().build(), GenerationListener.NONE).tokens();
            assertEquals(8, a.length);
            assertTrue(Arrays.stream(a).allMatch(t -> t >= 0 && t < shape.vocab()));
            assertEquals(a[0], b[0]);
        }
    }

    /** llama-quantize's Q4_K_M rules (see QuantMixTest): Q6_K in the output and in the last layer's attn_v and ffn_down. */
    @Test
    void q4kmMixesQ4KAndQ6K() throws IOException {
        Path file = dir.resolve("small.Q4_K_M.gguf");
        assertEquals(0, cli("make-model", "--shape", "small-llama3", "--type", "Q4_K_M", "-o", file.toString()));
        try (GgufFile f = GgufFile.open(file)) {
            assertEquals(15, f.metadata().getInt("general.file_type"));
            assertEquals(GgmlType.Q4_K, f.tensor("blk.0.attn_q.weight").type());
            assertEquals(GgmlType.Q4_K, f.tensor("blk.1.ffn_up.weight").type());
            assertEquals(GgmlType.Q4_K, f.tensor("blk.0.attn_v.weight").type());
            assertEquals(GgmlType.Q6_K, f.tensor("blk.1.attn_v.weight").type());
            assertEquals(GgmlType.Q6_K, f.tensor("blk.1.ffn_down.weight").type());
            assertEquals(GgmlType.Q6_K, f.tensor("token_embd.weight").type());
        }
        try (Model m = Model.load(file, 1)) {
            int[] ids = m.newSession(32, KvType.F16).generate("Hello", GenerateOptions.builder().temperature(0).maxTokens(4).ignoreEndOfGeneration().build(), GenerationListener.NONE).tokens();
            assertEquals(4, ids.length);
        }
        // rows of 64 are not whole K-quant blocks: llama.cpp's fallbacks, Q5_0 for Q4_K and Q8_0 for the output
        Path tiny = dir.resolve("tiny.Q4_K_M.gguf");
        assertEquals(0, cli("make-model", "--shape", "tiny", "--type", "Q4_K_M", "-o", tiny.toString()));
        try (GgufFile f = GgufFile.open(tiny)) {
            assertEquals(GgmlType.Q5_0, f.tensor("blk.0.attn_q.weight").type());
            assertEquals(GgmlType.Q8_0, f.tensor("output.weight").type());
        }
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherWeights() throws IOException {
        Path x = dir.resolve("x.gguf"), y = dir.resolve("y.gguf"), z = dir.resolve("z.gguf");
        assertEquals(0, cli("make-model", "--shape", "tiny", "--type", "Q4_0", "-o", x.toString()));
        assertEquals(0, cli("make-model", "--shape", "tiny", "--type", "Q4_0", "-o", y.toString()));
        assertEquals(0, cli("make-model", "--shape", "tiny", "--type", "Q4_0", "--seed", "7", "-o", z.toString()));
        assertArrayEquals(Files.readAllBytes(x), Files.readAllBytes(y));
        assertFalse(Arrays.equals(Files.readAllBytes(x), Files.readAllBytes(z)));
        assertEquals(Files.size(x), Files.size(z));
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3-1b", "tinyllama-1b", "qwen2-0.5b"})
    void fullSizeShapesHaveValidTokenizersOfTheRightSize(String name) {
        ModelShape s = ModelShape.named(name);
        Tokenizer t = Tokenizers.fromMetadata(new GgufMetadata(SyntheticVocab.forShape(s)));
        assertEquals(s.vocab(), t.vocabSize());
        String text = "The quick brown fox: 1234, \"jumps\"!";
        int[] ids = t.encode(text, false, false);
        assertEquals(text, t.decode(ids));
        assertTrue(ids.length < text.length(), "merges shorten text: " + ids.length);
        assertTrue(t.bos() >= 0 && t.eos() >= 0);
    }

    @Test
    void parameterCountsOfTheRealModels() {
        assertEquals(1_235_814_400L, ModelShape.named("llama3-1b").parameters());     // Llama-3.2-1B
        assertEquals(1_100_048_384L, ModelShape.named("tinyllama-1b").parameters());  // TinyLlama-1.1B
        assertEquals(494_032_768L, ModelShape.named("qwen2-0.5b").parameters());      // Qwen2-0.5B
        ModelShape qwen3moe = ModelShape.named("qwen3moe-30b-a3b");
        assertEquals(30_532_122_624L, qwen3moe.parameters());                          // Qwen3-30B-A3B
        ModelShape scaled = ModelShape.named("qwen3moe-a3b-64x");
        // the scaled shape decodes the same matrices per token, but for the router's rows of the missing experts
        assertEquals(qwen3moe.activeParameters(), scaled.activeParameters() + 64L * 2048 * 48);
        assertEquals(3_041_867_776L, qwen3moe.activeParameters());   // Qwen's "3.3B activated" counts both embeddings
        assertTrue(scaled.parameters() < 16_100_000_000L);
        assertEquals(scaled.activeParameters() - 2L * 48 * 128, ModelShape.named("llama-moe-a3b-64x").activeParameters(), "its llama twin: no q/k norms");
    }

    @Test
    void usageErrors() {
        assertEquals(2, cli("make-model", "--shape", "gpt5", "-o", dir.resolve("a.gguf").toString()));
        assertEquals(2, cli("make-model", "--shape", "tiny", "--type", "Q9_9", "-o", dir.resolve("a.gguf").toString()));
        assertEquals(2, cli("make-model", "--shape", "tiny"));
        assertEquals(1, cli("make-model", "--shape", "tiny", "-o", dir.resolve("missing/dir/a.gguf").toString()));
    }
}
