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
        List<String> lines = new ArrayList<>();
        try (var in = new BufferedReader(new InputStreamReader(Objects.requireNonNull(getClass().getResourceAsStream("llama-quantize-types.txt")), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) if (!line.startsWith("#") && !line.isBlank()) lines.add(line);
        }
        assertEquals(7 * 113, lines.size(), "113 matrices in each of 7 files");
        for (String line : lines) {
            String[] f = line.split(" ");
            QuantMix mix = QuantMix.named(f[0]);
            String name = f[1];
            int layer = name.startsWith("blk.") ? Integer.parseInt(name.substring(4, name.indexOf('.', 4))) : -1;
            int cols = name.contains("ffn_down") ? s.ffn() : s.dim();
            GgmlType got = mix.typeOf(name, layer, s.layers(), cols, s.heads() / s.kvHeads(), s.tied() && name.equals("token_embd.weight"), false);
            assertEquals(GgmlType.valueOf(f[2]), got, line);
        }
    }

    @Test
    void rowsThatAreNotWholeBlocksTakeLlamaCppsFallbacks() {
        // 896 columns (Qwen2-0.5B): 3.5 blocks of 256
        assertEquals(GgmlType.Q5_0, QuantMix.Q4_K_M.typeOf("blk.3.attn_q.weight", 3, 24, 896, 7, false, false));
        assertEquals(GgmlType.Q8_0, QuantMix.Q4_K_M.typeOf("token_embd.weight", -1, 24, 896, 7, true, false));
        assertEquals(GgmlType.IQ4_NL, QuantMix.IQ4_XS.typeOf("blk.3.ffn_gate.weight", 3, 24, 896, 7, false, false));
        assertEquals(GgmlType.Q5_1, QuantMix.Q5_K_S.typeOf("blk.3.attn_q.weight", 3, 24, 896, 7, false, false));
        assertEquals(GgmlType.Q5_0, QuantMix.Q4_K_M.typeOf("blk.3.attn_q.weight", 3, 24, 896, 7, false, true), "pure, but not whole blocks");
        assertEquals(GgmlType.Q4_K, QuantMix.Q4_K_M.typeOf("token_embd.weight", -1, 16, 2048, 4, true, true), "pure: no Q6_K output");
        assertEquals(GgmlType.F16, QuantMix.F16.typeOf("output.weight", -1, 24, 896, 7, false, false));
    }
}
