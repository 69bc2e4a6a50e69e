package dev.vera4j.gguf.types;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Little-endian, unaligned access to block fields: GGUF stores everything little-endian at any byte offset. */
final class Le {
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Le() {}

    /** Unsigned byte. */
    static int u8(MemorySegment s, long offset) { return s.get(ValueLayout.JAVA_BYTE, offset) & 0xFF; }

    /** Signed byte. */
    static int i8(MemorySegment s, long offset) { return s.get(ValueLayout.JAVA_BYTE, offset); }

    /** Unsigned 16-bit integer. */
    static int u16(MemorySegment s, long offset) { return s.get(SHORT, offset) & 0xFFFF; }

    /** 32-bit integer. */
    static int i32(MemorySegment s, long offset) { return s.get(INT, offset); }

    /** An IEEE half at {@code offset}, widened to float. */
    static float f16(MemorySegment s, long offset) { return Fp16.toFloat(s.get(SHORT, offset)); }

    static void putU8(MemorySegment s, long offset, int value) { s.set(ValueLayout.JAVA_BYTE, offset, (byte) value); }

    static void putI32(MemorySegment s, long offset, int value) { s.set(INT, offset, value); }

    /** Stores {@code value} rounded to an IEEE half. */
    static void putF16(MemorySegment s, long offset, float value) { s.set(SHORT, offset, Fp16.fromFloat(value)); }
}
