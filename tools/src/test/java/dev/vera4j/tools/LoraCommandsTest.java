package dev.vera4j.tools;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.vera.BaseFingerprint;
import dev.vera4j.vera.VeraSite;
import dev.vera4j.vera.VeraTarget;
import dev.vera4j.vera.lora.LoraFile;
import dev.vera4j.vera.lora.LoraMatrices;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/** {@code adapter info|export|import}, {@code merge} and {@code generate --adapter} with a LoRA adapter on stories260K. */
class LoraCommandsTest {
    static final Path MODEL = Path.of(System.getProperty("vera4j.shared", "../shared")).resolve("models/stories260K.gguf");
    @TempDir Path dir;

    record Run(int code, String out, String err) {}

    static Run cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Cli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A random LoRA on q and down of every layer, as llama.cpp's converter writes it (no recorded base). */
    Path llamaCppStyleLora() throws Exception {
        BaseFingerprint base = BaseFingerprint.of(MODEL);
        Random r = new Random(5);
        TreeMap<VeraSite, LoraMatrices> sites = new TreeMap<>();
        for (int l = 0; l < base.blockCount(); l++) {
            for (VeraTarget t : new VeraTarget[] {VeraTarget.Q, VeraTarget.DOWN}) {
                int in = base.inputs(t), out = base.outputs(t);
                float[] a = new float[2 * in], b = new float[out * 2];
                for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextGaussian() / Math.sqrt(in));
                for (int i = 0; i < b.length; i++) b[i] = (float) (r.nextGaussian() * 0.5);
                VeraSite s = new VeraSite(l, t);
                sites.put(s, new LoraMatrices(s, 2, in, out, a, b, 3f));
            }
        }
        Path p = dir.resolve("style-lora.gguf");
        new LoraFile("llama", Optional.empty(), sites).write(p, GgmlType.F16);
        return p;
    }

    @Test
    void infoExportImportMergeAndGenerate() throws Exception {
        Path lora = llamaCppStyleLora();
        Run info = cli("adapter", "info", lora.toString(), "-m", MODEL.toString());
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("LoRA adapter") && info.out().contains("A/B as F16") && info.out().contains("targets: q, down")
                && info.out().contains("trainable parameters: " + 5 * (2 * (64 + 64) + 2 * (172 + 64))) && info.out().contains("fits"), info.out());
        Run noBase = cli("adapter", "export", lora.toString(), "-o", dir.resolve("peft").toString());
        assertEquals(2, noBase.code());
        assertTrue(noBase.err().contains("does not record its base model"), noBase.err());
        Run export = cli("adapter", "export", lora.toString(), "-m", MODEL.toString(), "-o", dir.resolve("peft").toString());
        assertEquals(0, export.code(), export.err());
        assertTrue(Files.exists(dir.resolve("peft/adapter_config.json")) && Files.exists(dir.resolve("peft/adapter_model.safetensors")));
        Run peftInfo = cli("adapter", "info", dir.resolve("peft").toString());
        assertTrue(peftInfo.out().contains("PEFT LoRA adapter") && peftInfo.out().contains("scale (alpha/r): 3.0"), peftInfo.out());
        Path imported = dir.resolve("imported.gguf");
        Run imp = cli("adapter", "import", dir.resolve("peft").toString(), "-m", MODEL.toString(), "-o", imported.toString());
        assertEquals(0, imp.code(), imp.err());
        String[] gen = {"generate", "-m", MODEL.toString(), "-p", "Once upon a time", "-n", "20", "--temp", "0", "--quiet", "--adapter"};
        Run fromGguf = cli(concat(gen, lora.toString())), fromPeft = cli(concat(gen, dir.resolve("peft").toString())),
                fromImported = cli(concat(gen, imported.toString()));
        Run plain = cli("generate", "-m", MODEL.toString(), "-p", "Once upon a time", "-n", "20", "--temp", "0", "--quiet");
        assertEquals(0, fromGguf.code(), fromGguf.err());
        assertNotEquals(plain.out(), fromGguf.out(), "the adapter changes the text");
        assertEquals(fromGguf.out(), fromPeft.out(), "the exported PEFT directory gives the same text");
        assertEquals(fromGguf.out(), fromImported.out(), "and so does its import");
        Path merged = dir.resolve("merged.gguf");
        Run merge = cli("merge", "-m", MODEL.toString(), "--adapter", lora.toString(), "-o", merged.toString(), "--type", "F32");
        assertEquals(0, merge.code(), merge.err());
        Run fromMerged = cli("generate", "-m", merged.toString(), "-p", "Once upon a time", "-n", "20", "--temp", "0", "--quiet");
        assertEquals(fromGguf.out(), fromMerged.out(), "the merged model gives the adapter's text");
        Run stacked = cli(concat(concat(gen, lora + ":0.5"), "--adapter", imported + ":0.5"));
        assertEquals(fromGguf.out(), stacked.out(), "two halves of the same LoRA stack to the whole");
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
