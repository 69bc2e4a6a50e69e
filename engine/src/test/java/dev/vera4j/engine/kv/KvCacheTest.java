package dev.vera4j.engine.kv;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class KvCacheTest {
    @Test
    void storesAndReadsBothTypes() {
        for (KvType type : KvType.values()) {
            KvCache c = KvCache.allocate(type, 2, 4, 6);
            float[] k = {1, 2, 3, 4, 5, 6}, v = {0.5f, -1, 2, 0.25f, 3, -2};
            c.store(1, 2, k, 0, v, 0);
            c.advance(3);
            float[] q = {1, 1, 1, 0, 0, 0, 9};
            assertEquals(4 + 5 + 6, c.dotKey(1, 2, 3, q, 0, 3), 1e-6f);
            float[] out = {1, 1, 1};
            c.addValue(1, 2, 1, 2f, out, 0, 3);
            assertArrayEquals(new float[] {1 - 2, 1 + 4, 1 + 0.5f}, out, 1e-6f);
            assertEquals(type, c.type());
            assertEquals(0, c.dotKey(0, 2, 0, q, 0, 6));
        }
    }

    @Test
    void f16RoundsToHalfPrecision() {
        KvCache c = KvCache.allocate(KvType.F16, 1, 1, 2);
        c.store(0, 0, new float[] {1.0001f, 70000f}, 0, new float[2], 0);
        assertEquals(1.0f, c.dotKey(0, 0, 0, new float[] {1}, 0, 1));
        assertEquals(Float.POSITIVE_INFINITY, c.dotKey(0, 0, 1, new float[] {1}, 0, 1));
        assertEquals(2L * 1 * 1 * 2 * 2, KvCache.bytesFor(KvType.F16, 1, 1, 2));
    }

    @Test
    void overflowIsAClearErrorAndTruncateForgetsTheTail() {
        KvCache c = KvCache.allocate(KvType.F32, 1, 8, 2);
        c.advance(6);
        ContextOverflowException e = assertThrows(ContextOverflowException.class, () -> c.ensureRoom(3));
        assertEquals("3 more tokens do not fit in the context: 6 of 8 positions are in use (raise --ctx or shorten the prompt)", e.getMessage());
        assertEquals(6, e.used());
        assertEquals(8, e.capacity());
        assertThrows(ContextOverflowException.class, () -> c.advance(3));
        assertEquals(6, c.length());
        c.truncate(2);
        c.ensureRoom(6);
        assertThrows(IllegalArgumentException.class, () -> c.truncate(3));
        assertThrows(IllegalArgumentException.class, () -> KvCache.allocate(KvType.F32, 1, 0, 2));
    }
}
