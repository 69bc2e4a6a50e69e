package dev.vera4j.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * A channel that passes what is written to it on to a file in whole {@value #BLOCK}-byte blocks of the file (the
 * last block, partial, at {@link #finish}), whatever the sizes of the writes it gets. The page cache of a Linux file
 * system with large folios (ext4, XFS) keeps a block written by one write as one 2 MiB folio, which a mapping of the
 * file can then take as one huge page; a block written by several writes (the end of one tensor, its padding and the
 * start of the next) stays in small pages. Spans of whole blocks go straight through; the rest is gathered in a
 * buffer of one block.
 *
 * <pre>{@code
 * try (FileChannel ch = FileChannel.open(path, WRITE, CREATE)) {   // written from offset 0
 *     BlockWriter blocks = new BlockWriter(ch);
 *     blocks.write(header);
 *     blocks.write(tensorData);
 *     blocks.finish();
 * }
 * }</pre>
 */
final class BlockWriter implements WritableByteChannel {
    static final int BLOCK = 2 << 20;

    private final WritableByteChannel out;
    /** The current block's bytes so far (the file's length modulo {@link #BLOCK}). */
    private final ByteBuffer block = ByteBuffer.allocateDirect(BLOCK);

    /** Writes to {@code out} from its offset 0. */
    BlockWriter(WritableByteChannel out) {
        this.out = out;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        int n = src.remaining();
        while (src.hasRemaining()) {
            if (block.position() == 0 && src.remaining() >= BLOCK) {
                int whole = src.remaining() & -BLOCK;
                ByteBuffer span = src.slice(src.position(), whole);
                while (span.hasRemaining()) out.write(span);
                src.position(src.position() + whole);
            } else {
                int k = Math.min(block.remaining(), src.remaining());
                block.put(block.position(), src, src.position(), k);
                block.position(block.position() + k);
                src.position(src.position() + k);
                if (!block.hasRemaining()) drain();
            }
        }
        return n;
    }

    /** Writes the last, partial block. */
    void finish() throws IOException {
        drain();
    }

    private void drain() throws IOException {
        block.flip();
        while (block.hasRemaining()) out.write(block);
        block.clear();
    }

    @Override
    public boolean isOpen() { return out.isOpen(); }

    /** Does not close the channel written to ({@link #finish} first). */
    @Override
    public void close() {}
}
