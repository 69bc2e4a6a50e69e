package dev.vera4j.simd;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class HugePagesTest {
    /** Large (mapped) and small (arena) buffers: the size asked for, zeroed, 64-byte aligned, writable to the last byte, gone with the arena. */
    @Test
    void buffersAreZeroedAlignedAndFreedWithTheArena() {
        for (long bytes : new long[]{0, 1, 100, (2L << 20) - 1, 5L << 20, (6L << 20) + 3}) {
            MemorySegment m;
            try (Arena arena = Arena.ofShared()) {
                m = HugePages.allocate(arena, bytes);
                assertEquals(bytes, m.byteSize());
                assertEquals(0, m.address() % 64, "alignment of " + bytes + " bytes");
                for (long i = 0; i < bytes; i += 4093) assertEquals(0, m.get(ValueLayout.JAVA_BYTE, i));
                if (bytes > 0) {
                    m.set(ValueLayout.JAVA_BYTE, bytes - 1, (byte) 7);
                    assertEquals(7, m.get(ValueLayout.JAVA_BYTE, bytes - 1));
                }
            }
            assertFalse(m.scope().isAlive());
        }
        try (Arena arena = Arena.ofShared()) {
            assertThrows(IllegalArgumentException.class, () -> HugePages.allocate(arena, -1));
        }
    }
}
