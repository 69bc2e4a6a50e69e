package dev.vera4j.gguf;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;

/**
 * Little-endian GGUF primitives written through a small buffer to a channel; counts every byte so that padding can
 * be computed. Large payloads (tensor data) bypass the buffer.
 */
final class GgufOutput {
    private static final int CHUNK = 1 << 20, VIEW = 8 << 20;

    private final WritableByteChannel out;
    private final ByteBuffer buf = ByteBuffer.allocate(64 * 1024).order(ByteOrder.LITTLE_ENDIAN);
    private long position;

    GgufOutput(WritableByteChannel out) { this.out = out; }

    /** Bytes written so far, buffered ones included. */
    long position() { return position; }

    private ByteBuffer room(int n) throws IOException {
        if (buf.remaining() < n) flush();
        position += n;
        return buf;
    }

    void u8(int v) throws IOException { room(1).put((byte) v); }

    void u16(int v) throws IOException { room(2).putShort((short) v); }

    void u32(int v) throws IOException { room(4).putInt(v); }

    void u64(long v) throws IOException { room(8).putLong(v); }

    void f32(float v) throws IOException { room(4).putInt(Float.floatToRawIntBits(v)); }

    void f64(double v) throws IOException { room(8).putLong(Double.doubleToRawLongBits(v)); }

    /** A GGUF string: u64 byte length, then the UTF-8 bytes. */
    void string(String s) throws IOException {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        u64(bytes.length);
        bytes(bytes, 0, bytes.length);
    }

    void bytes(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            if (!buf.hasRemaining()) flush();
            int n = Math.min(len, buf.remaining());
            buf.put(b, off, n);
            position += n;
            off += n;
            len -= n;
        }
    }

    /** Zero bytes up to the next multiple of {@code alignment}. */
    void padTo(int alignment) throws IOException {
        long pad = GgufHeaderParser.alignUp(position, alignment) - position;
        for (long i = 0; i < pad; i++) u8(0);
    }

    /** Sends buffered bytes to the channel. */
    void flush() throws IOException {
        buf.flip();
        while (buf.hasRemaining()) out.write(buf);
        buf.clear();
    }

    /**
     * Writes a whole segment after the buffered bytes. Native segments go to the channel directly in 8 MiB views (large
     * enough that a {@link BlockWriter} passes most of each through as whole 2 MiB blocks, uncopied); heap segments (any
     * array type) through a 1 MiB copy.
     */
    void segment(MemorySegment seg) throws IOException {
        flush();
        long size = seg.byteSize();
        byte[] staging = seg.isNative() ? null : new byte[(int) Math.min(CHUNK, size)];
        int chunk = staging == null ? VIEW : CHUNK;
        for (long off = 0; off < size; off += chunk) {
            int n = (int) Math.min(chunk, size - off);
            ByteBuffer bb;
            if (staging == null) {
                bb = seg.asSlice(off, n).asByteBuffer();
            } else {
                MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, staging, 0, n);
                bb = ByteBuffer.wrap(staging, 0, n);
            }
            while (bb.hasRemaining()) out.write(bb);
        }
        position += size;
    }

    /** Lets {@code source} write straight to the channel and checks that it wrote exactly {@code expected} bytes. */
    void stream(TensorSource source, long expected, String what) throws IOException {
        flush();
        CountingChannel counted = new CountingChannel(out, expected, what);
        source.writeTo(counted);
        if (counted.written() != expected) {
            throw new IOException(what + ": source wrote " + counted.written() + " bytes, expected " + expected);
        }
        position += expected;
    }

    /** A view of the output that refuses to go past a byte budget and cannot be closed by the source. */
    private static final class CountingChannel implements WritableByteChannel {
        private final WritableByteChannel out;
        private final long limit;
        private final String what;
        private long written;

        CountingChannel(WritableByteChannel out, long limit, String what) {
            this.out = out;
            this.limit = limit;
            this.what = what;
        }

        long written() { return written; }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (src.remaining() > limit - written) {
                throw new IOException(what + ": source wrote more than the " + limit + " bytes expected");
            }
            int n = out.write(src);
            written += n;
            return n;
        }

        @Override public boolean isOpen() { return out.isOpen(); }

        @Override public void close() { /* the writer owns the channel */ }
    }
}
