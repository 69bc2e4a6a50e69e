package dev.vera4j.vera;

import dev.vera4j.gguf.GgmlType;
import dev.vera4j.gguf.GgufFile;
import dev.vera4j.vera.peft.PeftExporter;
import dev.vera4j.vera.peft.PeftImporter;
import dev.vera4j.vera.peft.PeftVeraAdapter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

class AdapterFileTest {
    static void assertSameAdapter(AdapterFile a, AdapterFile b) {
        assertEquals(a.config(), b.config());
        assertEquals(a.inMax(), b.inMax());
        assertEquals(a.outMax(), b.outMax());
        assertEquals(a.base(), b.base());
        assertEquals(a.lambdas(), b.lambdas());   // VeraLambdas equality is bit equality
        assertEquals(a.projections(), b.projections());
        assertEquals(a.peft(), b.peft());
    }

    @Test
    void roundTripsF32Exactly(@TempDir Path dir) throws Exception {
        AdapterFile a = TestAdapters.random(TestAdapters.tinyBase("llama"), TestAdapters.DENSE, 8, 3);
        Path p = dir.resolve("a.gguf");
        a.write(p, GgmlType.F32);
        assertSameAdapter(a, AdapterFile.read(p));
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals("adapter", f.metadata().getString("general.type"));
            assertEquals("vera", f.metadata().getString("adapter.type"));
            assertEquals(GgmlType.F32, f.tensor("blk.1.ffn_down.vera_lambda_b").type());
        }
    }

    @Test
    void f16StoresRoundedValues(@TempDir Path dir) throws Exception {
        AdapterFile a = TestAdapters.random(TestAdapters.tinyBase("llama"), EnumSet.of(VeraTarget.Q, VeraTarget.V), 4, 4);
        Path p = dir.resolve("a16.gguf");
        a.write(p, GgmlType.F16);
        AdapterFile b = AdapterFile.read(p);
        for (Map.Entry<VeraSite, VeraLambdas> e : a.lambdas().entrySet()) {
            float[] x = e.getValue().lambdaB(), y = b.lambdas().get(e.getKey()).lambdaB();
            for (int i = 0; i < x.length; i++) assertEquals(Float.float16ToFloat(Float.floatToFloat16(x[i])), y[i]);
        }
        assertThrows(IllegalArgumentException.class, () -> a.write(dir.resolve("x.gguf"), GgmlType.Q8_0));
    }

    @Test
    void oneBillionParameterAdapterAtRank256IsAFewHundredKilobytes(@TempDir Path dir) throws Exception {
        // Llama-3.2-1B's shape: 16 layers, dim 2048, 32/8 heads of 64, ffn 8192
        BaseFingerprint llama1b = new BaseFingerprint("llama", 16, 2048, 8192, 32, 8, 64, 128256, "0123456789abcdef0123456789abcdef");
        AdapterFile a = TestAdapters.random(llama1b, EnumSet.of(VeraTarget.Q, VeraTarget.V), 256, 5);
        Path p = dir.resolve("1b.gguf");
        a.write(p, GgmlType.F32);
        long size = Files.size(p);
        assertTrue(size > 100_000 && size < 300_000, "adapter of " + size + " bytes");
        assertEquals(16L * (2048 + 256 + 512 + 256), a.parameterCount());
    }

    @Test
    void refusesModelsAndOtherBases(@TempDir Path dir) throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AdapterFile.read(StoriesReference.stories()));
        assertTrue(e.getMessage().contains("not a VeRA adapter"), e.getMessage());
        Path junk = dir.resolve("junk.gguf");
        Files.writeString(junk, "not a gguf at all");
        assertThrows(IllegalArgumentException.class, () -> AdapterFile.read(junk));

        BaseFingerprint base = TestAdapters.tinyBase("llama");
        AdapterFile a = TestAdapters.random(base, EnumSet.of(VeraTarget.Q), 4, 6);
        BaseFingerprint otherHash = new BaseFingerprint("llama", 2, 16, 24, 4, 2, 4, 10, "ffffffffffffffffffffffffffffffff");
        e = assertThrows(IllegalArgumentException.class, () -> AdapterWeights.prepare(a, otherHash, "a.gguf", false));
        assertTrue(e.getMessage().contains("fingerprint"), e.getMessage());
        assertNotNull(AdapterWeights.prepare(a, otherHash, "a.gguf", true));
        BaseFingerprint otherShape = new BaseFingerprint("llama", 2, 32, 24, 4, 2, 8, 10, base.hash());
        e = assertThrows(IllegalArgumentException.class, () -> AdapterWeights.prepare(a, otherShape, "a.gguf", true));
        assertTrue(e.getMessage().contains("different base model") && e.getMessage().contains("dim 16"), e.getMessage());
    }

    @Test
    void fingerprintOfStoriesIsStable() {
        BaseFingerprint a = BaseFingerprint.of(StoriesReference.stories()), b = BaseFingerprint.of(StoriesReference.stories());
        assertEquals(a, b);
        assertEquals(32, a.hash().length());
        assertEquals("llama", a.architecture());
        assertEquals(64, a.dim());
    }

    @Test
    void peftAdapterRoundTripsThroughTheGgufBitIdentically(@TempDir Path dir) throws Exception {
        BaseFingerprint base = BaseFingerprint.of(StoriesReference.stories());
        Path original = StoriesReference.peftDir();
        AdapterFile first = PeftAdapters.fromPeft(PeftImporter.read(original), base);
        Path gguf = dir.resolve("stories-vera.gguf");
        first.write(gguf, GgmlType.F32);
        assertTrue(Files.size(gguf) < Files.size(original.resolve(PeftImporter.WEIGHTS_FILE)), "no projections stored");
        AdapterFile read = AdapterFile.read(gguf);
        assertSameAdapter(first, read);
        Path exported = dir.resolve("peft");
        PeftExporter.write(PeftAdapters.toPeft(read, false), exported);
        for (String name : new String[] {PeftImporter.CONFIG_FILE, PeftImporter.WEIGHTS_FILE}) {
            assertArrayEquals(Files.readAllBytes(original.resolve(name)), Files.readAllBytes(exported.resolve(name)), name);
        }
        assertSameAdapter(first, PeftAdapters.fromPeft(PeftImporter.read(exported), base));
    }

    @Test
    void engineMadeAdapterExportsToPeftAndBack(@TempDir Path dir) throws Exception {
        BaseFingerprint base = TestAdapters.tinyBase("llama");
        AdapterFile a = TestAdapters.random(base, EnumSet.of(VeraTarget.K, VeraTarget.UP), 4, 8);
        for (boolean save : new boolean[] {false, true}) {
            Path out = dir.resolve("peft-" + save);
            PeftVeraAdapter p = PeftAdapters.toPeft(a, save);
            PeftExporter.write(p, out);
            PeftVeraAdapter back = PeftImporter.read(out);
            assertEquals(save, back.projections().isPresent());
            AdapterFile again = PeftAdapters.fromPeft(back, base);
            assertEquals(a.lambdas(), again.lambdas());
            assertEquals(a.config(), again.config());
            assertTrue(again.projections().isEmpty(), "saved projections equal the regenerated ones");
            try (Stream<Path> files = Files.list(out)) {
                assertEquals(2, files.count());
            }
        }
    }
}
