package dev.vera4j.tools;

import dev.vera4j.gguf.GgmlType;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link QuantMix} against the types llama-quantize itself chose for the llama3-1b shape (its logs, committed). */
class QuantMixTest {
    @Test
    void everyMatrixGetsTheTypeLlamaQuantizeGaveIt() throws IOException {
        ModelShape s = ModelShape.named("llama3-1b");
        List<String> lines = reference("llama-quantize-types.txt");
        assertEquals(7 * 113, lines.size(), "113 matrices in each of 7 files");
        for (String line : lines) {
            String[] f = line.split(" ");
            QuantMix mix = QuantMix.named(f[0]);
            String name = f[1];
            int cols = name.contains("ffn_down") ? s.ffn() : s.dim();
            GgmlType got = mix.typeOf(name, cols, s, false);
            assertEquals(GgmlType.valueOf(f[2]), got, line);
        }
    }

    private List<String> reference(String name) throws IOException {
        List<String> lines = new ArrayList<>();
        try (var in = new BufferedReader(new InputStreamReader(Objects.requireNonNull(getClass().getResourceAsStream(name)), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) if (!line.startsWith("#") && !line.isBlank()) lines.add(line);
        }
        return lines;
    }

    @Test
    void rowsThatAreNotWholeBlocksTakeLlamaCppsFallbacks() {
        ModelShape qwen = ModelShape.named("qwen2-0.5b"), llama = ModelShape.named("llama3-1b");
        // 896 columns (Qwen2-0.5B): 3.5 blocks of 256
        assertEquals(GgmlType.Q5_0, QuantMix.Q4_K_M.typeOf("blk.3.attn_q.weight", 896, qwen, false));
        assertEquals(GgmlType.Q8_0, QuantMix.Q4_K_M.typeOf("token_embd.weight", 896, qwen, false));
        assertEquals(GgmlType.IQ4_NL, QuantMix.IQ4_XS.typeOf("blk.3.ffn_gate.weight", 896, qwen, false));
        assertEquals(GgmlType.Q5_1, QuantMix.Q5_K_S.typeOf("blk.3.attn_q.weight", 896, qwen, false));
        assertEquals(GgmlType.Q5_0, QuantMix.Q4_K_M.typeOf("blk.3.attn_q.weight", 896, qwen, true), "pure, but not whole blocks");
        assertEquals(GgmlType.Q4_K, QuantMix.Q4_K_M.typeOf("token_embd.weight", 2048, llama, true), "pure: no Q6_K output");
        assertEquals(GgmlType.F16, QuantMix.F16.typeOf("output.weight", 896, qwen, false));
    }
}
