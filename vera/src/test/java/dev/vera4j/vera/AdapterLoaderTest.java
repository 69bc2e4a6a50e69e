package dev.vera4j.vera;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class AdapterLoaderTest {
    @Test
    void specParsesOptionalWeight() {
        assertEquals(new AdapterLoader.Spec(Path.of("a.gguf"), 1f), AdapterLoader.Spec.parse("a.gguf"));
        assertEquals(new AdapterLoader.Spec(Path.of("a.gguf"), 0.5f), AdapterLoader.Spec.parse("a.gguf:0.5"));
        assertEquals(new AdapterLoader.Spec(Path.of("dir/x"), -1f), AdapterLoader.Spec.parse("dir/x:-1"));
        assertEquals(new AdapterLoader.Spec(Path.of("C:/adapters/x"), 1f), AdapterLoader.Spec.parse("C:/adapters/x"));
        assertEquals(new AdapterLoader.Spec(Path.of("a:b"), 1f), AdapterLoader.Spec.parse("a:b"));
        assertThrows(IllegalArgumentException.class, () -> AdapterLoader.Spec.parse("a.gguf:NaN"));
    }

    @Test
    void readsDirectoriesAsPeftAndFilesAsGguf(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        BaseFingerprint base = BaseFingerprint.of(StoriesReference.stories());
        AdapterFile fromDir = AdapterLoader.read(StoriesReference.peftDir(), base);
        Path file = dir.resolve("a.gguf");
        fromDir.write(file, dev.vera4j.gguf.GgmlType.F32);
        AdapterFileTest.assertSameAdapter(fromDir, AdapterLoader.read(file, base));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AdapterLoader.read(dir.resolve("nope"), base));
        assertTrue(e.getMessage().contains("does not exist"));
    }
}
