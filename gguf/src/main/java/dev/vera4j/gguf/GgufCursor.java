package dev.vera4j.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Reads little-endian GGUF primitives from a mapped segment; every read is bounds-checked against the file size. */
final class GgufCursor {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final MemorySegment seg;
    private final long size;
    private long pos;

    GgufCursor(Path file, MemorySegment seg) {
        this.file = file;
        this.seg = seg;
        this.size = seg.byteSize();
    }

    long position() { return pos; }

    long remaining() { return size - pos; }

    Path file() { return file; }

    GgufFormatException error(long at, String problem) { return new GgufFormatException(file, at, problem); }

    /** Fails unless {@code n} more bytes exist; {@code what} names the field for the message. */
    void need(long n, String what) {
        if (n < 0 || n > size - pos) {
            throw error(pos, "file ends inside " + what + " (needs " + Long.toUnsignedString(n) + " bytes, " + (size - pos) + " left)");
        }
    }

    int u8(String what) { need(1, what); return seg.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF; }

    short u16(String what) { need(2, what); short v = seg.get(U16, pos); pos += 2; return v; }

    int u32(String what) { need(4, what); int v = seg.get(U32, pos); pos += 4; return v; }

    long u64(String what) { need(8, what); long v = seg.get(U64, pos); pos += 8; return v; }

    /** A GGUF string: u64 byte length then UTF-8 bytes. */
    String string(String what) {
        String s = wholeString();
        if (s != null) return s;
        long at = pos;
        long len = u64(what + " length");
        if (len < 0 || len > size - pos) {
            throw error(at, what + " length " + Long.toUnsignedString(len) + " runs past the end of the file (" + (size - pos) + " bytes left)");
        }
        throw error(at, what + " length " + len + " is too large");
    }

    /**
     * Element {@code index} of the string array {@code key}, as {@link #string} reads it, with its description built
     * only for an error: a vocabulary has hundreds of thousands of elements, and building each one's description took
     * about a quarter of a cold header read.
     */
    String element(String key, int index) {
        String s = wholeString();
        return s != null ? s : string("element " + index + " of '" + key + "'");
    }

    /**
     * The string at the cursor, moving past it, when its length and bytes lie within the file and fit a Java array;
     * otherwise null, the cursor left where it was (then {@link #string} names the problem).
     */
    private String wholeString() {
        if (size - pos < 8) return null;
        long len = seg.get(U64, pos);
        if (len < 0 || len > size - pos - 8 || len > Integer.MAX_VALUE - 8) return null;
        byte[] bytes = new byte[(int) len];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos + 8, bytes, 0, bytes.length);
        pos += 8 + len;
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Copies {@code n} little-endian elements of {@code layout} into a new Java array of matching type. */
    void copy(ValueLayout layout, Object dst, int n, String what) {
        long bytes = (long) n * layout.byteSize();
        need(bytes, what);
        MemorySegment.copy(seg, layout.withOrder(ByteOrder.LITTLE_ENDIAN), pos, dst, 0, n);
        pos += bytes;
    }

    void seek(long p) { pos = p; }
}
