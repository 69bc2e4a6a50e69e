package dev.vera4j.simd;

import dev.vera4j.gguf.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Packed copies written to a file and mapped again; any file that does not match its source is ignored. */
class PackedFileTest {
    private static final WorkerPool POOL = new WorkerPool(2);
    @TempDir Path dir;

    @Test
    void copiesComeBackByteForByteAndStaleFilesAreIgnored() throws IOException {
        assumeTrue(Weights.packingEnabled(), "packing needs 512-bit int8 kernels");
        Path model = Files.writeString(dir.resolve("model.gguf"), "stands for the model file");
        Path cache = dir.resolve("cache/model.packed.gguf");
        try (Arena arena = Arena.ofShared()) {
            Map<String, Weights> packed = new LinkedHashMap<>();
            Random rnd = new Random(1);
            packed.put("a", TestWeights.random(GgmlType.Q4_0, 32, 256, rnd, arena).pack(arena, POOL));
            packed.put("b", TestWeights.random(GgmlType.Q6_K, 5, 512, rnd, arena).pack(arena, POOL));
            PackedFile.Source source = PackedFile.Source.of(model);
            PackedFile.write(cache, source, packed);
            try (PackedFile f = PackedFile.open(cache, source)) {
                assertNotNull(f);
                for (var e : packed.entrySet()) {
                    Weights w = e.getValue();
                    assertTrue(f.holds(e.getKey(), w));
                    byte[] expected = w.packed().asSlice(0, w.rowBytes() * w.rows()).toArray(ValueLayout.JAVA_BYTE);
                    MemorySegment copy = f.copy(e.getKey(), w);
                    assertNotNull(copy);
                    assertArrayEquals(expected, copy.toArray(ValueLayout.JAVA_BYTE), e.getKey());
                    MemorySegment read = arena.allocate(w.rowBytes() * w.rows(), 64);
                    assertTrue(f.readInto(e.getKey(), w, read));
                    assertArrayEquals(expected, read.toArray(ValueLayout.JAVA_BYTE), e.getKey() + " read");
                    // the mapped copy makes Weights the products accept, seen as plain native memory as packed ones are
                    Weights mapped = new Weights(w.data(), w.type(), w.rows(), w.cols(), copy);
                    assertFalse(mapped.packed().isMapped());
                    assertEquals(w.packed().getClass(), mapped.packed().getClass(), "one segment class for the kernels");
                }
                assertNull(f.copy("c", packed.get("a")), "a matrix it does not hold");
                assertFalse(f.holds("a", packed.get("b")), "another type and shape");
                assertNull(f.copy("a", packed.get("b")), "another type and shape");
                MemorySegment spare = arena.allocate(packed.get("b").rowBytes() * packed.get("b").rows(), 64);
                assertFalse(f.readInto("c", packed.get("a"), spare), "a matrix it does not hold");
                assertFalse(f.readInto("a", packed.get("b"), spare), "another type and shape");
                assertTrue(f.inHugePages(), "a file of less than two 2 MB blocks needs no huge pages");
            }
            // the source changed: another size and time
            Files.writeString(model, "stands for the model file, edited");
            assertNull(PackedFile.open(cache, PackedFile.Source.of(model)));
            // a write cut short
            PackedFile.Source now = PackedFile.Source.of(model);
            PackedFile.write(cache, now, packed);
            try (FileChannel ch = FileChannel.open(cache, StandardOpenOption.WRITE)) {
                ch.truncate(ch.size() / 2);
            }
            assertNull(PackedFile.open(cache, now));
            assertNull(PackedFile.open(dir.resolve("none.gguf"), now));
        }
    }
}
