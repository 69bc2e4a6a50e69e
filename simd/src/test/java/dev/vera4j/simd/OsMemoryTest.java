package dev.vera4j.simd;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OsMemoryTest {
    /** Large (mapped) and small (arena) buffers: the size asked for, zeroed, 64-byte aligned, writable to the last byte, gone with the arena. */
    @Test
    void buffersAreZeroedAlignedAndFreedWithTheArena() {
        for (long bytes : new long[]{0, 1, 100, (2L << 20) - 1, 5L << 20, (6L << 20) + 3}) {
            MemorySegment m;
            try (Arena arena = Arena.ofShared()) {
                m = OsMemory.allocateHuge(arena, bytes);
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
            assertThrows(IllegalArgumentException.class, () -> OsMemory.allocateHuge(arena, -1));
        }
    }

    /** Released pages of a read-only file mapping read back the same bytes; other memory is left alone. */
    @Test
    void releasedMappedPagesStayReadable(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws java.io.IOException {
        byte[] bytes = new byte[5 * 4096 + 123];
        new java.util.Random(2).nextBytes(bytes);
        java.nio.file.Path f = java.nio.file.Files.write(dir.resolve("data.bin"), bytes);
        try (Arena arena = Arena.ofShared(); var ch = java.nio.channels.FileChannel.open(f)) {
            MemorySegment m = ch.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, bytes.length, arena);
            long sum = 0;
            for (long i = 0; i < m.byteSize(); i++) sum += m.get(ValueLayout.JAVA_BYTE, i);
            boolean linux = System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).startsWith("linux");
            assertEquals(linux, OsMemory.release(m.asSlice(100, 3 * 4096 + 500)));
            assertEquals(-1L, m.mismatch(MemorySegment.ofArray(bytes)));
            MemorySegment anon = arena.allocate(8 * 4096, 4096);
            anon.fill((byte) 5);
            assertFalse(OsMemory.release(anon), "anonymous memory is not released");
            assertEquals(5, anon.get(ValueLayout.JAVA_BYTE, 4096 * 3));
            assertFalse(OsMemory.release(m.asSlice(10, 100)), "no whole page inside");
            if (sum == 42) System.out.print("");
        }
    }

    /**
     * {@code hugePageBytes} reads the mapping of a segment in /proc/self/smaps: 2 MB pages of memory that
     * {@code allocateHuge} maps where the kernel offers them, none for a small file mapping (still advisable), -1 for
     * memory that is no mapping of its own.
     */
    @Test
    void hugePagesOfAMappingAreCounted(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws java.io.IOException {
        assumeTrue(System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).startsWith("linux"), "/proc/self/smaps is Linux's");
        java.nio.file.Path thp = java.nio.file.Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
        boolean offered = java.nio.file.Files.isReadable(thp) && !java.nio.file.Files.readString(thp).contains("[never]");
        try (Arena arena = Arena.ofShared()) {
            MemorySegment huge = OsMemory.allocateHuge(arena, 8L << 20);
            huge.fill((byte) 1);
            long bytes = OsMemory.hugePageBytes(huge);
            assertTrue(bytes >= 0 && bytes <= 8L << 20, bytes + " bytes");
            if (offered) assertTrue(bytes >= 2L << 20, "an 8 MiB mapping holds at least one whole aligned 2 MB page: " + bytes);
            java.nio.file.Path f = java.nio.file.Files.write(dir.resolve("small.bin"), new byte[3 * 4096]);
            try (var ch = java.nio.channels.FileChannel.open(f)) {
                MemorySegment m = ch.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, 3 * 4096, arena);
                assertEquals(0, m.get(ValueLayout.JAVA_BYTE, 4096));
                assertTrue(OsMemory.adviseHugePages(m));
                assertEquals(0, OsMemory.hugePageBytes(m), "three 4 KB pages");
            }
            assertFalse(OsMemory.adviseHugePages(huge), "only read-only file mappings are advised");
            assertEquals(-1, OsMemory.hugePageBytes(MemorySegment.ofAddress(4096)), "no mapping starts there");
        }
    }
}
