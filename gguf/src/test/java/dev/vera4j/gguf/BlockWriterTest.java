package dev.vera4j.gguf;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Whatever the sizes of the writes it gets, a BlockWriter passes the same bytes on in whole 2 MiB blocks of the file. */
class BlockWriterTest {
    /** Keeps the bytes and where each write to it started and ended. */
    private static final class Recorder implements WritableByteChannel {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<long[]> writes = new ArrayList<>();

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            writes.add(new long[] {bytes.size(), bytes.size() + n});
            byte[] b = new byte[n];
            src.get(b);
            bytes.write(b, 0, n);
            return n;
        }

        @Override public boolean isOpen() { return true; }

        @Override public void close() {}
    }

    @Test
    void writesEndOnBlockBoundariesExceptTheLast() throws IOException {
        Random rnd = new Random(7);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        Recorder file = new Recorder();
        BlockWriter blocks = new BlockWriter(file);
        // small header writes, tensors of a few MiB with odd sizes, one of exactly a block, a heap buffer and direct ones
        int[] sizes = {24, 4096, 1, 3 << 20, 1000, BlockWriter.BLOCK, 5 * BlockWriter.BLOCK + 17, 63, (1 << 20) + 5, 2 * BlockWriter.BLOCK};
        for (int i = 0; i < sizes.length; i++) {
            byte[] b = new byte[sizes[i]];
            rnd.nextBytes(b);
            expected.write(b, 0, b.length);
            ByteBuffer src = i % 2 == 0 ? ByteBuffer.wrap(b) : ByteBuffer.allocateDirect(b.length).put(b).flip();
            assertEquals(b.length, blocks.write(src));
            assertEquals(0, src.remaining());
        }
        blocks.finish();
        assertArrayEquals(expected.toByteArray(), file.bytes.toByteArray());
        long total = expected.size();
        for (int i = 0; i < file.writes.size(); i++) {
            long[] w = file.writes.get(i);
            assertEquals(0, w[0] % BlockWriter.BLOCK, "write " + i + " starts inside a block");
            if (i < file.writes.size() - 1) assertEquals(0, w[1] % BlockWriter.BLOCK, "write " + i + " ends inside a block");
            else assertEquals(total, w[1], "the last write ends the file");
        }
        assertTrue(file.writes.stream().anyMatch(w -> w[1] - w[0] > BlockWriter.BLOCK), "spans of whole blocks go straight through");
    }
}
