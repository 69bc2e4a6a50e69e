package dev.vera4j.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Parameter packing for {@code cuLaunchKernel}: one 8-byte slot per parameter, pointed at by the pointer array. */
class KernelArgsTest {
    @Test
    void packsEachParameterIntoItsSlot() {
        try (KernelArgs a = new KernelArgs()) {
            a.begin().ptr(0x7f00_1234_5678L).i32(-3).f32(1.5f).i64(1L << 40);
            assertEquals(4, a.count());
            assertEquals(0x7f00_1234_5678L, a.raw(0));
            assertEquals(0xffff_fffdL, a.raw(1), "an int fills the low 4 bytes, the rest zero");
            assertEquals(Float.floatToRawIntBits(1.5f), (int) a.raw(2));
            assertEquals(1L << 40, a.raw(3));
            for (int i = 0; i < KernelArgs.MAX; i++) assertTrue(a.pointsAt(i));
        }
    }

    @Test
    void refillingLeavesNoStaleBytes() {
        try (KernelArgs a = new KernelArgs()) {
            a.begin().i64(-1L);
            a.begin().i32(7);
            assertEquals(7L, a.raw(0));
        }
    }

    @Test
    void tooManyParameters() {
        try (KernelArgs a = new KernelArgs()) {
            a.begin();
            for (int i = 0; i < KernelArgs.MAX; i++) a.i32(i);
            assertThrows(IllegalStateException.class, () -> a.i32(0));
        }
    }
}
