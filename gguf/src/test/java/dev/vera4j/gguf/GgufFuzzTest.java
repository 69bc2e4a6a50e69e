package dev.vera4j.gguf;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Truncates stories260K.gguf at thousands of offsets and flips random bytes in its header: parsing must either
 * succeed or throw {@link GgufFormatException}; nothing else (no OOM, no index or array-size errors) may escape.
 * Mutants are parsed from memory so that the test does not write thousands of files.
 */
class GgufFuzzTest {
    private static final Path MODEL = Path.of(System.getProperty("vera4j.shared", "../shared")).resolve("models/stories260K.gguf");
    private static final long SEED = 0x5EED_6617L;

    private int ok, rejected;

    private void parse(byte[] bytes, long length, String what) {
        MemorySegment seg = MemorySegment.ofArray(bytes).asSlice(0, length);
        try (GgufFile f = GgufFile.parse(MODEL, seg)) {
            for (GgufTensor t : f.tensors().values()) {
                if (t.byteSize() > 0) t.data().get(ValueLayout.JAVA_BYTE, t.byteSize() - 1);
            }
            f.metadata().keys().forEach(k -> f.metadata().get(k).toString());
            ok++;
        } catch (GgufFormatException e) {
            assertNotNull(e.getMessage());
            rejected++;
        } catch (Throwable t) {
            throw new AssertionError(what + ": " + t, t);
        }
    }

    @Test
    void truncationsAndByteFlipsOnlyEverRaiseFormatErrors() throws IOException {
        byte[] bytes = Files.readAllBytes(MODEL);
        long headerEnd;
        try (GgufFile f = GgufFile.open(MODEL)) {
            headerEnd = f.parts().getFirst().dataOffset();
        }
        SplittableRandom rnd = new SplittableRandom(SEED);

        // every 9th offset through the header, plus random ones through the tensor data
        for (long len = 0; len < headerEnd; len += 9) parse(bytes, len, "truncated at " + len);
        for (int i = 0; i < 300; i++) {
            long len = rnd.nextLong(headerEnd, bytes.length);
            parse(bytes, len, "truncated at " + len);
        }
        int truncations = ok + rejected;
        assertEquals(truncations, rejected, "every truncation is rejected");

        // 1 to 4 random bytes (biased towards the small fields: counts, lengths, types) set to random values
        for (int i = 0; i < 2200; i++) {
            int flips = 1 + rnd.nextInt(4);
            int[] at = new int[flips];
            byte[] old = new byte[flips];
            for (int k = 0; k < flips; k++) {
                at[k] = rnd.nextInt((int) headerEnd);
                old[k] = bytes[at[k]];
                bytes[at[k]] = rnd.nextBoolean() ? (byte) rnd.nextInt(256) : (byte) (old[k] ^ (1 << rnd.nextInt(8)));
            }
            parse(bytes, bytes.length, "case " + i + " bytes " + java.util.Arrays.toString(at));
            for (int k = flips - 1; k >= 0; k--) bytes[at[k]] = old[k];
        }
        assertTrue(ok > 0 && rejected > truncations, "ok " + ok + ", rejected " + rejected);
        parse(bytes, bytes.length, "restored original");
    }
}
