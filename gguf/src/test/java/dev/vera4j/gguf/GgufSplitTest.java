package dev.vera4j.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Split models written as llama.cpp's gguf-split does: metadata in part 1, split.* keys in every part. */
class GgufSplitTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir Path tmp;

    private Path part(int no, int count, int totalTensors, boolean withMetadata, String... tensors) throws IOException {
        GgufWriter w = new GgufWriter();
        if (withMetadata) w.put("general.architecture", GgufValue.ofString("llama")).put("llama.block_count", GgufValue.ofUInt32(2));
        w.put("split.no", GgufValue.ofUInt16(no)).put("split.count", GgufValue.ofUInt16(count))
                .put("split.tensors.count", GgufValue.ofInt32(totalTensors));
        for (String t : tensors) {
            float v = t.hashCode();
            w.addTensor(t, GgmlType.F32, new long[]{4}, MemorySegment.ofArray(new float[]{v, v, v, v}));
        }
        Path p = tmp.resolve(String.format("model-%05d-of-%05d.gguf", no + 1, count));
        w.write(p);
        return p;
    }

    private void threeParts() throws IOException {
        part(0, 3, 5, true, "token_embd.weight", "blk.0.attn_q.weight");
        part(1, 3, 5, false, "blk.1.attn_q.weight", "blk.1.attn_k.weight");
        part(2, 3, 5, false, "output.weight");
    }

    @Test
    void partsOpenAsOneModelFromAnyPart() throws IOException {
        threeParts();
        for (int i = 1; i <= 3; i++) {
            try (GgufFile f = GgufFile.open(tmp.resolve(String.format("model-%05d-of-00003.gguf", i)))) {
                assertEquals(3, f.parts().size());
                assertEquals(tmp.resolve("model-00001-of-00003.gguf"), f.path());
                assertEquals(2, f.metadata().getInt("llama.block_count"));
                assertEquals(5, f.tensors().size());
                assertEquals((float) "output.weight".hashCode(), f.tensor("output.weight").data().getAtIndex(F32, 3));
                assertEquals((float) "blk.1.attn_k.weight".hashCode(), f.tensor("blk.1.attn_k.weight").data().getAtIndex(F32, 0));
            }
        }
    }

    @Test
    void copyOfSplitModelIsOneFile() throws IOException {
        threeParts();
        Path merged = tmp.resolve("merged.gguf");
        try (GgufFile f = GgufFile.open(tmp.resolve("model-00001-of-00003.gguf"))) {
            GgufWriter.copyOf(f).write(merged);
        }
        try (GgufFile f = GgufFile.open(merged)) {
            assertEquals(1, f.parts().size());
            assertFalse(f.metadata().has("split.count"));
            assertEquals(5, f.tensors().size());
            assertEquals((float) "output.weight".hashCode(), f.tensor("output.weight").data().getAtIndex(F32, 0));
        }
    }

    @Test
    void missingPartIsNamed() throws IOException {
        threeParts();
        Path second = tmp.resolve("model-00002-of-00003.gguf");
        Files.delete(second);
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(tmp.resolve("model-00001-of-00003.gguf")).close());
        assertEquals(second, e.file());
        assertTrue(e.getMessage().contains("split part 2 of 3 is missing"), e.getMessage());
    }

    @Test
    void inconsistentSplitKeysAreRejected() throws IOException {
        part(0, 2, 2, true, "a");
        part(0, 2, 2, false, "b"); // claims to be part 1 again, written as file 1 ... then overwrite file 2:
        Files.move(tmp.resolve("model-00001-of-00002.gguf"), tmp.resolve("model-00002-of-00002.gguf"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        part(0, 2, 2, true, "a");
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(tmp.resolve("model-00001-of-00002.gguf")).close());
        assertTrue(e.getMessage().contains("split.no is 0, expected 1"), e.getMessage());

        part(0, 2, 3, true, "a");
        part(1, 2, 3, false, "b");
        e = assertThrows(GgufFormatException.class, () -> GgufFile.open(tmp.resolve("model-00001-of-00002.gguf")).close());
        assertTrue(e.getMessage().contains("split.tensors.count is 3 but the parts hold 2 tensors"), e.getMessage());
    }

    @Test
    void sameTensorInTwoPartsIsRejected() throws IOException {
        part(0, 2, 2, true, "a");
        part(1, 2, 2, false, "a");
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(tmp.resolve("model-00002-of-00002.gguf")).close());
        assertTrue(e.getMessage().contains("tensor 'a' also appears in an earlier split part"), e.getMessage());
    }
}
